/** "4:07" until a deadline, by the server's clock (the page corrects its own by the offset it measured). */
export function remaining(deadlineAt: string, serverNow: number): string {
  const s = Math.max(0, Math.ceil((Date.parse(deadlineAt) - serverNow) / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}
