import { afterAll } from 'vitest';
import { dropCreatedDatabases } from './test-database.ts';

// Each test file's databases go when it ends: the cluster's disk holds one file's worth at a time.
afterAll(dropCreatedDatabases);
