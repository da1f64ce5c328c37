const UNITS: Record<string, number> = {
  zero: 0,
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  eleven: 11,
  twelve: 12,
  thirteen: 13,
  fourteen: 14,
  fifteen: 15,
  sixteen: 16,
  seventeen: 17,
  eighteen: 18,
  nineteen: 19,
};
const TENS: Record<string, number> = {
  twenty: 20,
  thirty: 30,
  forty: 40,
  fifty: 50,
  sixty: 60,
  seventy: 70,
  eighty: 80,
  ninety: 90,
};
const SCALES: Record<string, number> = { hundred: 100, thousand: 1000 };

export function isNumberWord(word: string): boolean {
  return word in UNITS || word in TENS || word in SCALES;
}

/**
 * Reads a number written in words from `words[at]` on: "two", "twenty five", "a hundred",
 * "one hundred and twenty", "two thousand". Undefined when no number starts there.
 */
export function readNumberWords(
  words: readonly string[],
  at: number,
): { value: number; length: number } | undefined {
  let total = 0;
  let current = 0;
  let last: "none" | "unit" | "tens" | "scale" = "none";
  let index = at;
  if (words[index] === "a" && (words[index + 1] ?? "") in SCALES) {
    current = 1;
    last = "unit";
    index += 1;
  }
  for (; index < words.length; index += 1) {
    const word = words[index] ?? "";
    const unit = UNITS[word];
    const tens = TENS[word];
    const scale = SCALES[word];
    if (
      unit !== undefined &&
      (last === "none" || last === "scale" || (last === "tens" && unit < 10))
    ) {
      current += unit;
      last = "unit";
    } else if (tens !== undefined && (last === "none" || last === "scale")) {
      current += tens;
      last = "tens";
    } else if (scale !== undefined && last !== "none" && last !== "scale") {
      if (scale === 1000) {
        total += current * 1000;
        current = 0;
      } else {
        current *= scale;
      }
      last = "scale";
    } else if (word === "and" && last === "scale" && isNumberWord(words[index + 1] ?? "")) {
      continue;
    } else {
      break;
    }
  }
  return last === "none" ? undefined : { value: total + current, length: index - at };
}
