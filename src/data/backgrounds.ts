/**
 * The ten background shifts of D3S, in the order used for background labels. `key` is the last
 * word of the phrase and names the folder of background template photos (`DIR/<key>/`).
 */
export const BACKGROUNDS = [
  { key: "grass", phrase: "on grass" },
  { key: "road", phrase: "on a road" },
  { key: "forest", phrase: "in a forest" },
  { key: "water", phrase: "in water" },
  { key: "sand", phrase: "in sand" },
  { key: "indoors", phrase: "indoors" },
  { key: "snow", phrase: "in snow" },
  { key: "rain", phrase: "in rain" },
  { key: "night", phrase: "at night" },
  { key: "cave", phrase: "in a cave" },
] as const;

export type BackgroundKey = (typeof BACKGROUNDS)[number]["key"];

/** Returns the folder key of a background phrase: its last word ("in a forest" -> "forest"). */
export function backgroundKey(phrase: string): string {
  const words = phrase.trim().split(/\s+/);
  return words[words.length - 1].toLowerCase();
}

/** Returns the label index (0-9) of a background key or phrase, or -1 when it is not one of the ten. */
export function backgroundIndex(keyOrPhrase: string): number {
  const key = backgroundKey(keyOrPhrase);
  return BACKGROUNDS.findIndex((background) => background.key === key);
}
