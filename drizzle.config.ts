import { defineConfig } from 'drizzle-kit';

// Generates SQL from src/db/schema.ts; it never connects to a database (migrations
// are applied in-process at start-up, see src/db/client.ts).
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/db/schema.ts',
  out: './migrations',
});
