/**
 * Writes a count with its noun in the right number: `counted(1, "row")` is "1 row",
 * `counted(2, "row")` is "2 rows". Pass `plural` for nouns that do not just add "s".
 */
export function counted(count: number, noun: string, plural = `${noun}s`): string {
  return `${count} ${count === 1 ? noun : plural}`;
}
