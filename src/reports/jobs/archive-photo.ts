import type { Transaction } from 'kysely';
import type { DraftMedia } from '../../conversation/state.ts';
import type { Database } from '../../db/schema.ts';
import { sniffPhotoExtension } from '../../nextcloud/report-paths.ts';
import type { JobHandler } from '../../queue/job-handler.ts';
import { type PlannedFile, planPhotos } from '../archive-plan.ts';
import { takenNamesIn } from '../folder-names.ts';
import type { ArchivePort, ReportDeps } from '../report-deps.ts';
import type { ReportPayload } from '../report-jobs.ts';
import { archivePlanOf, mediaOf, reportKind } from '../report-facts.ts';
import { archiveTexts as texts } from '../report-messages.ts';
import { addReportProblem } from '../report-problems.ts';
import { changeArchivePlan, getReport, type ReportRow } from '../report-store.ts';
import { downloadTelegramFile, FileTooLargeError } from '../telegram-download.ts';

/**
 * `report.archive-photo`: downloads one photo from Telegram and files it under its planned name,
 * never overwriting. If the name is taken by these very bytes (Nextcloud kept the SHA-1 sent with
 * them), it is our own earlier attempt: done. Another file means someone else took the number
 * (the office, by hand): the photo takes the next free one, after what the folder holds and what
 * the reports planned there (src/reports/folder-names.ts), recorded before the upload, so that a
 * retry after a crash checks that name again rather than starting over from the first one. A
 * file refused (not a picture, over 20 MB) gives its planned name back.
 */
export function archivePhotoHandler(deps: ReportDeps): JobHandler<ReportPayload<'report.archive-photo'>> {
  return async (payload, { now, log }) => {
    const { reportId, messageId } = payload;
    const report = await getReport(deps.db, reportId);
    const plan = report && archivePlanOf(report);
    const media = report && mediaOf(report, messageId);
    const planned = plan?.files.find((file) => file.messageId === messageId);
    if (!report || !plan || !media || !planned || !deps.archive) return;

    const bytes = await download(deps, report, media, now);
    const change = async (file: Partial<PlannedFile>) =>
      deps.db.transaction().execute((trx) => changePlannedFile(trx, report.id, messageId, file, now));
    if (!bytes) {
      await change({ refused: true });
      return;
    }
    const nextFree = (listed: string[]) =>
      deps.db.transaction().execute(async (trx) => {
        const taken = await takenNamesIn(trx, plan.folder, listed);
        const [next] = planPhotos(reportKind(report), [media], taken, deps.config.reportTimezone);
        await changePlannedFile(trx, report.id, messageId, { name: next!.name }, now);
        return next!.name;
      });
    const upload = { archive: deps.archive, folder: plan.folder, bytes };
    const name = await uploadUnderFreeName(upload, planned.name, nextFree);
    if (name !== planned.name)
      log.info({ reportId }, 'photo name was taken; filed under the next free number');
    await change({ name, stored: true });
  };
}

/** The photo's bytes, or undefined (and a line for the technician) when it cannot be archived. */
async function download(deps: ReportDeps, report: ReportRow, media: DraftMedia, now: Date) {
  const bot = deps.telegram.get(report.slug);
  if (!bot) throw new Error(`no Bot API client for slug ${report.slug}`);
  try {
    const bytes = await downloadTelegramFile(bot.client, media.fileId);
    // Telegram re-encodes photos and videos itself; only a document must show it is a picture.
    if (media.source !== 'document' || sniffPhotoExtension(bytes) !== undefined) return bytes;
    await addReportProblem(deps.db, report.id, texts.notAnImage(media.fileName), now);
  } catch (error) {
    if (!(error instanceof FileTooLargeError)) throw error;
    await addReportProblem(deps.db, report.id, texts.tooLarge(media.fileName), now);
  }
  return undefined;
}

interface PhotoUpload {
  readonly archive: ArchivePort;
  readonly folder: string;
  readonly bytes: Buffer;
}

/** `nextFree` chooses and records the next free name, given what the folder holds now. */
async function uploadUnderFreeName(
  photo: PhotoUpload,
  plannedName: string,
  nextFree: (listed: string[]) => Promise<string>,
): Promise<string> {
  let name = plannedName;
  for (let attempt = 0; attempt < 5; attempt++) {
    if ((await photo.archive.uploadNew(`${photo.folder}/${name}`, photo.bytes)) !== 'exists') return name;
    name = await nextFree(((await photo.archive.listFolder(photo.folder)) ?? []).map((entry) => entry.name));
  }
  throw new Error('could not find a free photo name after 5 tries');
}

/** Updates one photo's entry of the plan as it is now: other photos update it too. */
async function changePlannedFile(
  trx: Transaction<Database>,
  reportId: number,
  messageId: number,
  change: Partial<PlannedFile>,
  now: Date,
) {
  await changeArchivePlan(trx, reportId, now, (plan) => ({
    ...plan,
    files: plan.files.map((file) => (file.messageId === messageId ? { ...file, ...change } : file)),
  }));
}
