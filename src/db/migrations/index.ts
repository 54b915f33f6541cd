import type { Migration } from 'kysely/migration';
import * as initial from './0001-initial.ts';
import * as reports from './0002-reports.ts';
import * as reportArchive from './0003-report-archive.ts';
import * as assistant from './0004-assistant.ts';
import * as jobEngine from './0005-job-engine.ts';
import * as nextcloudBreaker from './0006-nextcloud-breaker.ts';
import * as knownChantiers from './0007-known-chantiers.ts';
import * as sendLog from './0008-send-log.ts';
import * as updateReplies from './0009-update-replies.ts';
import * as jobLanes from './0010-job-lanes.ts';

/** Every migration, in order. Names sort; shipped ones are frozen. */
export const migrations: Record<string, Migration> = {
  '0001-initial': initial,
  '0002-reports': reports,
  '0003-report-archive': reportArchive,
  '0004-assistant': assistant,
  '0005-job-engine': jobEngine,
  '0006-nextcloud-breaker': nextcloudBreaker,
  '0007-known-chantiers': knownChantiers,
  '0008-send-log': sendLog,
  '0009-update-replies': updateReplies,
  '0010-job-lanes': jobLanes,
};
