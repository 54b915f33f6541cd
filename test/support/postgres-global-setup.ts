import type { TestProject } from 'vitest/node';
import { startPostgresCluster } from './postgres-cluster.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The throwaway cluster's superuser URL; test/support/test-database.ts makes databases in it. */
    postgresUrl: string;
  }
}

/** Vitest globalSetup of the `postgres` project: one throwaway cluster for the whole run. */
export default async function setup(project: TestProject): Promise<() => void> {
  const cluster = await startPostgresCluster();
  project.provide('postgresUrl', cluster.url);
  return () => {
    cluster.stop();
  };
}
