import type { DraftMedia, ReportKind } from '../conversation/state.ts';
import { numberAlbum } from '../nextcloud/photo-numbering.ts';
import {
  markdownReportFileName,
  photoExtension,
  photoFileName,
  reportFolder,
  videoExtension,
} from '../nextcloud/report-paths.ts';

/** Where each photo of a report goes: decided once, so a retry uploads to the same name. */
export interface ArchivePlan {
  readonly folder: string;
  readonly files: readonly PlannedFile[];
  /** The report's Markdown file (sav and materiel), in the same folder. */
  readonly markdown: string | undefined;
}

export interface PlannedFile {
  readonly messageId: number;
  readonly name: string;
  /** Set once the upload succeeded (or found our own earlier upload). */
  readonly stored?: boolean;
  /** Set when the file was refused for good (not a picture, over 20 MB): its name is free again. */
  readonly refused?: boolean;
}

export interface PlanInput {
  readonly kind: ReportKind;
  readonly publicId: string;
  readonly chantier: string;
  readonly media: readonly DraftMedia[];
  /** Unix seconds of the report's first message: the folder's date. */
  readonly date: number;
  readonly timeZone: string;
  /** Client folders already there (names listed in the kind's parent folder). */
  readonly existingFolders: readonly string[];
}

/** The folder (an existing one of the same client is reused) without its files. */
export function planFolder(input: PlanInput): string {
  return reportFolder(input.kind, input.chantier, input.date, input.timeZone, input.existingFolders).path;
}

/** Names every photo after what the folder already holds, in message order (README, "What the office gets"). */
export function planArchive(input: PlanInput, folder: string, existingFiles: readonly string[]): ArchivePlan {
  return {
    folder,
    files: planPhotos(input.kind, input.media, existingFiles, input.timeZone),
    markdown: input.kind === 'fin' ? undefined : markdownReportFileName(input.publicId),
  };
}

/** File names for photos, numbered in message order after the names already taken. */
export function planPhotos(
  kind: ReportKind,
  media: readonly DraftMedia[],
  taken: readonly string[],
  timeZone: string,
): PlannedFile[] {
  // Photos and videos share one numbering: `video_02_…` sits between `photo_01_…` and `photo_03_…`.
  return numberAlbum(media, taken).map(({ photo, number }) => ({
    messageId: photo.messageId,
    name:
      photo.source === 'video'
        ? photoFileName(
            kind,
            number,
            photo.date,
            timeZone,
            videoExtension(photo.mimeType, photo.fileName),
            'video',
          )
        : photoFileName(
            kind,
            number,
            photo.date,
            timeZone,
            photoExtension({ mimeType: photo.mimeType, fileName: photo.fileName }),
          ),
  }));
}
