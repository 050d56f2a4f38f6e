/** The ids the server rendering and the islands agree on (no server code, so bundles can import it). */
export const STATE_ELEMENT_ID = 'plenary-state';
export const ISLAND_ELEMENT_ID = 'island';
