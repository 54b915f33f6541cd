import type { DraftMedia, ReportKind } from '../../conversation/state.ts';
import { sniffPhotoExtension } from '../../nextcloud/report-paths.ts';
import type { JobHandler } from '../../queue/job-handler.ts';
import { planPhotos } from '../archive-plan.ts';
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
 * them), it is our own earlier attempt: done. Another file means someone else took the number:
 * the photo takes the next free one, recorded before the upload, so that a retry after a crash
 * checks that name again rather than starting over from the first one.
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
    if (!bytes) return;
    const photo = { archive: deps.archive, folder: plan.folder, bytes, kind: reportKind(report), media };
    const rename = async (name: string) => updatePlannedFile(deps, report.id, messageId, { name }, now);
    const name = await uploadUnderFreeName(photo, planned.name, rename, deps.config.reportTimezone);
    if (name !== planned.name)
      log.info({ reportId }, 'photo name was taken; filed under the next free number');
    await updatePlannedFile(deps, report.id, messageId, { name, stored: true }, now);
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
  readonly kind: ReportKind;
  readonly media: DraftMedia;
}

async function uploadUnderFreeName(
  photo: PhotoUpload,
  plannedName: string,
  rename: (name: string) => Promise<void>,
  timeZone: string,
): Promise<string> {
  let name = plannedName;
  for (let attempt = 0; attempt < 5; attempt++) {
    if ((await photo.archive.uploadNew(`${photo.folder}/${name}`, photo.bytes)) !== 'exists') return name;
    const taken = ((await photo.archive.listFolder(photo.folder)) ?? []).map((entry) => entry.name);
    name = planPhotos(photo.kind, [photo.media], taken, timeZone)[0]!.name;
    await rename(name);
  }
  throw new Error('could not find a free photo name after 5 tries');
}

/** Updates one photo's entry of the plan as it is now: other photos update it too. */
async function updatePlannedFile(
  deps: ReportDeps,
  reportId: number,
  messageId: number,
  change: { name: string; stored?: true },
  now: Date,
) {
  await deps.db.transaction().execute((trx) =>
    changeArchivePlan(trx, reportId, now, (plan) => ({
      ...plan,
      files: plan.files.map((file) => (file.messageId === messageId ? { ...file, ...change } : file)),
    })),
  );
}
