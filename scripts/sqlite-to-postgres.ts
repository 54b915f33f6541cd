// node scripts/sqlite-to-postgres.ts <sqlite file> <postgres url>: the command of src/sqlite-to-postgres.ts.
import '../src/sqlite-to-postgres.ts';
