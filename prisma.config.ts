import { defineConfig } from 'prisma/config';

// The CLI only needs a URL for commands that talk to the database; generation does not.
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: {
    url: process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/swarm_coordinator',
  },
});
