import Type, { type Static } from 'typebox';

/**
 * The subset of Telegram's `Update` that we read (Bot API reference, `Update` and `Message`).
 * Unknown fields and unknown update kinds are allowed: Telegram adds them over time and we
 * answer 200 to what we do not handle.
 */

const open = { additionalProperties: true } as const;
const Integer = Type.Integer();

export const UserSchema = Type.Object(
  {
    id: Integer,
    is_bot: Type.Optional(Type.Boolean()),
    first_name: Type.String(),
    last_name: Type.Optional(Type.String()),
    username: Type.Optional(Type.String()),
  },
  open,
);

export const ChatSchema = Type.Object(
  { id: Integer, type: Type.String(), title: Type.Optional(Type.String()) },
  open,
);

// The Bot API types both as String and promises nothing more: real Updates carry an empty one
// (teloxide's message fixtures). Refusing with 400 would make Telegram resend the update forever;
// a file that cannot be downloaded fails in its job and the technician is told there.
const FileFields = {
  file_id: Type.String(),
  file_unique_id: Type.String(),
  file_size: Type.Optional(Integer),
};

export const PhotoSizeSchema = Type.Object({ ...FileFields, width: Integer, height: Integer }, open);

export const DocumentSchema = Type.Object(
  { ...FileFields, file_name: Type.Optional(Type.String()), mime_type: Type.Optional(Type.String()) },
  open,
);

export const VoiceSchema = Type.Object(
  { ...FileFields, duration: Integer, mime_type: Type.Optional(Type.String()) },
  open,
);

export const VideoSchema = Type.Object(
  {
    ...FileFields,
    duration: Integer,
    mime_type: Type.Optional(Type.String()),
    file_name: Type.Optional(Type.String()),
  },
  open,
);

/** Who first sent a forwarded message, and when (Unix seconds): every kind carries `date`. */
export const MessageOriginSchema = Type.Object({ type: Type.String(), date: Integer }, open);

export const MessageSchema = Type.Object(
  {
    message_id: Integer,
    date: Integer,
    chat: ChatSchema,
    from: Type.Optional(UserSchema),
    text: Type.Optional(Type.String()),
    caption: Type.Optional(Type.String()),
    photo: Type.Optional(Type.Array(PhotoSizeSchema)),
    document: Type.Optional(DocumentSchema),
    voice: Type.Optional(VoiceSchema),
    video: Type.Optional(VideoSchema),
    video_note: Type.Optional(VideoSchema),
    animation: Type.Optional(Type.Object({}, open)),
    forward_origin: Type.Optional(MessageOriginSchema),
    /** Before Bot API 7.0 a forward carried only this date. */
    forward_date: Type.Optional(Integer),
    media_group_id: Type.Optional(Type.String()),
    edit_date: Type.Optional(Integer),
  },
  open,
);

/** The message a button was on; `date` 0 means Telegram no longer gives us its content. */
export const CallbackMessageSchema = Type.Object(
  { message_id: Integer, date: Integer, chat: ChatSchema },
  open,
);

export const CallbackQuerySchema = Type.Object(
  {
    id: Type.String(),
    from: UserSchema,
    chat_instance: Type.Optional(Type.String()),
    data: Type.Optional(Type.String()),
    message: Type.Optional(CallbackMessageSchema),
  },
  open,
);

export const UpdateSchema = Type.Object(
  {
    update_id: Type.Integer({ minimum: 0 }),
    message: Type.Optional(MessageSchema),
    edited_message: Type.Optional(MessageSchema),
    callback_query: Type.Optional(CallbackQuerySchema),
  },
  open,
);

export type Update = Static<typeof UpdateSchema>;
export type Message = Static<typeof MessageSchema>;
export type CallbackQuery = Static<typeof CallbackQuerySchema>;
export type PhotoSize = Static<typeof PhotoSizeSchema>;
