/** Columns as a terminal shows them: each as wide as its widest cell, two spaces apart, no trailing blanks. */
export function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => width(row[column] ?? '')))) ?? []
  return rows
    .map((row) => row.map((cell, column) => cell + ' '.repeat((widths[column] ?? 0) - width(cell))).join('  ').trimEnd())
    .join('\n')
}

/** Code points, so a name with an accent or an emoji does not push its column out of line. */
function width(text: string): number {
  return [...text].length
}
