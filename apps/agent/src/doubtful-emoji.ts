/**
 * Emoji of doubt or refusal ("buy 2 XYZ phones 🤔", "... 👎", "...? 😅"), by the codes chat
 * tools write them with (":thinking_face:", ":-1:", ":x:"). The reader asks about a request
 * with one of them (`parse-request.ts`), and reads a code of one as the emoji itself
 * (`message-envelope.ts`).
 */
export const DOUBTFUL_EMOJI_BY_CODE: ReadonlyMap<string, string> = new Map(
  Object.entries({
    thinking_face: "\u{1F914}",
    thinking: "\u{1F914}",
    "-1": "\u{1F44E}",
    thumbsdown: "\u{1F44E}",
    thumbs_down: "\u{1F44E}",
    shrug: "\u{1F937}",
    person_shrugging: "\u{1F937}",
    man_shrugging: "\u{1F937}",
    woman_shrugging: "\u{1F937}",
    no_good: "\u{1F645}",
    grimacing: "\u{1F62C}",
    confused: "\u{1F615}",
    face_with_diagonal_mouth: "\u{1FAE4}",
    worried: "\u{1F61F}",
    sweat_smile: "\u{1F605}",
    x: "\u274C",
    no_entry_sign: "\u{1F6AB}",
    no_entry: "\u26D4",
  }),
);
