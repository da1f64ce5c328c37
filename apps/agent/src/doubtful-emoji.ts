/**
 * Emoji of doubt, refusal, stopping or sarcasm ("buy 2 XYZ phones 🤔", "... 👎", "...? 😅",
 * "... 🛑", "... 🙄"), by the codes chat
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
    // Stop and warning signs: "buy 2 XYZ phones 🛑" says stop, whatever the words say.
    octagonal_sign: "\u{1F6D1}",
    raised_hand: "\u270B",
    hand: "\u270B",
    raised_back_of_hand: "\u{1F91A}",
    rotating_light: "\u{1F6A8}",
    warning: "\u26A0",
    heavy_multiplication_x: "\u2716",
    ballot_x: "\u2717",
    heavy_ballot_x: "\u2718",
    ballot_box_with_x: "\u2612",
    prohibited: "\u{1F6C7}",
    double_vertical_bar: "\u23F8",
    pause_button: "\u23F8",
    black_square_for_stop: "\u23F9",
    stop_button: "\u23F9",
    // Sarcasm, disbelief and jokes: "buy 2 XYZ phones 🙄" is no request to take at its word.
    roll_eyes: "\u{1F644}",
    face_with_rolling_eyes: "\u{1F644}",
    joy: "\u{1F602}",
    rofl: "\u{1F923}",
    smirk: "\u{1F60F}",
    wink: "\u{1F609}",
    upside_down_face: "\u{1F643}",
    stuck_out_tongue_winking_eye: "\u{1F61C}",
    zany_face: "\u{1F92A}",
    see_no_evil: "\u{1F648}",
    clown_face: "\u{1F921}",
    lying_face: "\u{1F925}",
    skull: "\u{1F480}",
    face_with_raised_eyebrow: "\u{1F928}",
    raised_eyebrow: "\u{1F928}",
    unamused: "\u{1F612}",
    expressionless: "\u{1F611}",
    neutral_face: "\u{1F610}",
    facepalm: "\u{1F926}",
    face_palm: "\u{1F926}",
  }),
);

/**
 * Emoji said with a request meant as written: thanks, joy, approval, and the things bought or
 * what comes with buying them (a phone, a laptop, headphones, a cable, a cart, a parcel, a
 * card), and ©, ®, ™ after a name. The reader asks about a request with any other emoji.
 */
export const GLAD_EMOJI = [
  // Thanks, approval, cheer.
  "\u{1F44D}\u{1F44C}\u{1F64F}\u{1F44F}\u{1F64C}\u{1F4AA}\u{1F91E}\u{1F91D}\u270C",
  "\u{1F60A}\u{1F642}\u{1F600}\u{1F603}\u{1F604}\u{1F601}\u263A\u{1F60D}\u{1F970}\u{1F929}",
  "\u{1F60E}\u{1F917}\u{1F607}\u{1F60C}\u{1F619}\u{1F618}\u{1F973}\u{1F911}\u{1F979}",
  "\u{1F60B}\u{1F44B}\u{1F919}\u{1FAE1}\u{1FAF6}\u{1FAF0}\u{1F646}",
  // People, whose sequences ("👩‍💻", "🧑‍🎓") are read by their first emoji, and flags.
  "\u{1F469}\u{1F468}\u{1F9D1}\u{1F467}\u{1F466}\u{1F3F3}\u{1F3F4}",
  // Celebrations and good things.
  "\u{1F382}\u{1F384}\u{1F388}\u{1F380}\u{1F680}\u{1F3B6}\u{1F3B5}\u{1F3C6}\u{1F308}\u2600",
  "\u2705\u2714\u2611\u2728\u{1F389}\u{1F38A}\u{1F381}\u{1F4AF}\u{1F525}\u2B50\u{1F31F}",
  "\u2764\u2665\u{1F499}\u{1F49A}\u{1F49C}\u{1F9E1}\u{1F49B}\u{1F5A4}\u{1F90D}\u{1F90E}\u{1F495}\u{1F496}",
  "\u{1F497}\u{1F493}\u{1F49D}\u{1F49E}\u{1F498}\u{1FA77}",
  // What the shop sells, and shopping.
  "\u{1F4F1}\u{1F4F2}\u{1F4BB}\u{1F5A5}\u2328\u{1F3A7}\u{1F50C}\u{1F50B}\u260E\u{1F4DE}",
  "\u{1F6D2}\u{1F6CD}\u{1F4E6}\u{1F69A}\u{1F4B3}\u{1F4B0}\u{1F4B5}\u{1F4B2}\u26A1",
  "\u{1F4BC}\u231A\u{1F4F7}\u{1F5B1}\u{1F393}",
  // Signs after a name.
  "\u00A9\u00AE\u2122",
].join("");
