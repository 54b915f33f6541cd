import { nextPhotoNumber } from '../../nextcloud/photo-numbering.ts';
import { photoExtension, photoFileName } from '../../nextcloud/report-paths.ts';
import type { JobPayload } from '../../queue/job-catalog.ts';
import type { JobHandler } from '../../queue/worker.ts';
import type { ArchivePlan } from '../archive-plan.ts';
import type { ArchivePort, ReportDeps } from '../report-deps.ts';
import { archivePlanOf, mediaOf, reportKind } from '../report-facts.ts';
import { getReport, type ReportRow } from '../report-store.ts';
import { addReportProblem } from '../report-problems.ts';
import { downloadTelegramFile, FileTooLargeError, TELEGRAM_DOWNLOAD_LIMIT } from '../telegram-download.ts';

/**
 * `report.archive-photo`: downloads one photo from Telegram and files it under its planned name,
 * never overwriting. If the name is taken, a file of the same size is our own earlier attempt
 * (the worker died after the upload): done. Another file means someone else took the number:
 * the photo takes the next free one.
 */
export function archivePhotoHandler(deps: ReportDeps): JobHandler {
  return async (payload, { now, log }) => {
    const { reportId, messageId } = payload as JobPayload<'report.archive-photo'>;
    const report = await getReport(deps.db, reportId);
    const plan = report && archivePlanOf(report);
    const media = report && mediaOf(report, messageId);
    const planned = plan?.files.find((file) => file.messageId === messageId);
    if (!report || !plan || !media || !planned || !deps.archive) return;

    if ((media.fileSize ?? 0) > TELEGRAM_DOWNLOAD_LIMIT) {
      await addReportProblem(deps.db, reportId, tooLarge(media.fileName), now);
      return;
    }
    const bot = deps.telegram.get(report.slug);
    if (!bot) throw new Error(`no Bot API client for slug ${report.slug}`);
    let bytes: Buffer;
    try {
      bytes = await downloadTelegramFile(bot.client, media.fileId);
    } catch (error) {
      if (!(error instanceof FileTooLargeError)) throw error;
      await addReportProblem(deps.db, reportId, tooLarge(media.fileName), now);
      return;
    }
    if (media.source === 'document' && !isImage(bytes)) {
      await addReportProblem(
        deps.db,
        reportId,
        `« ${media.fileName ?? 'fichier'} » n’est pas une image : non archivé.`,
        now,
      );
      return;
    }
    await deps.archive.ensureFolder(plan.folder);
    const name = await uploadUnderFreeName(deps.archive, report, plan, planned.name, bytes, messageId);
    if (name !== planned.name)
      log.info({ reportId }, 'photo name was taken; filed under the next free number');
    await markStored(deps, report.id, messageId, name, now);
  };
}

async function uploadUnderFreeName(
  archive: ArchivePort,
  report: ReportRow,
  plan: ArchivePlan,
  plannedName: string,
  bytes: Buffer,
  messageId: number,
): Promise<string> {
  let name = plannedName;
  for (let attempt = 0; attempt < 5; attempt++) {
    const path = `${plan.folder}/${name}`;
    if ((await archive.uploadNew(path, bytes)) === 'created') return name;
    const existing = (await archive.listFolder(plan.folder)) ?? [];
    if (existing.some((entry) => entry.name === name && entry.size === bytes.length)) return name;
    const media = mediaOf(report, messageId)!;
    const number = nextPhotoNumber(existing.map((entry) => entry.name));
    name = photoFileName(
      reportKind(report),
      number,
      media.date,
      undefined,
      photoExtension({ mimeType: media.mimeType, fileName: media.fileName }),
    );
  }
  throw new Error('could not find a free photo name after 5 tries');
}

/** Records the stored name, re-reading the plan in the transaction: other photos update it too. */
async function markStored(deps: ReportDeps, reportId: number, messageId: number, name: string, now: Date) {
  await deps.db.transaction().execute(async (trx) => {
    const row = await trx
      .selectFrom('reports')
      .select('archive_plan')
      .where('id', '=', reportId)
      .executeTakeFirst();
    if (!row?.archive_plan) return;
    const plan = JSON.parse(row.archive_plan) as ArchivePlan;
    const files = plan.files.map((file) =>
      file.messageId === messageId ? { ...file, name, stored: true } : file,
    );
    await trx
      .updateTable('reports')
      .set({ archive_plan: JSON.stringify({ ...plan, files }), updated_at: now.getTime() })
      .where('id', '=', reportId)
      .execute();
  });
}

const tooLarge = (fileName: string | undefined) =>
  `« ${fileName ?? 'une photo'} » dépasse 20 Mo (limite de Telegram) : non archivée, envoie-la au bureau autrement.`;

/** JPEG, PNG, HEIC/HEIF, WebP by their magic bytes. */
function isImage(bytes: Buffer): boolean {
  return photoExtension({ bytes }) !== 'jpg' || (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff);
}
