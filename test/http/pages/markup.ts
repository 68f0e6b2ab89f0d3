// A reader for the pages' own markup, enough to check it without an HTML parser dependency. It
// is reliable for exactly what html.ts produces: every attribute value double-quoted, and `<`,
// `>`, `"` escaped inside values and text, so neither a tag nor a value can end early.

export interface Tag {
  name: string
  attrs: Record<string, string>
  /** Index of the tag in the page, to tell what comes before what. */
  at: number
}

const ENTITIES: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'" }

export function decode(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|#39);/g, (entity) => ENTITIES[entity] as string)
}

/** Every start tag, with its attributes decoded (a bare attribute has the value ''). */
export function tags(page: string): Tag[] {
  return [...page.matchAll(/<([a-zA-Z][a-zA-Z0-9]*)((?:\s+[^\s=>]+(?:="[^"]*")?)*)\s*\/?>/g)].map((match) => ({
    name: (match[1] as string).toLowerCase(),
    attrs: Object.fromEntries([...(match[2] as string).matchAll(/([^\s=>]+)(?:="([^"]*)")?/g)].map((a) => [(a[1] as string).toLowerCase(), decode(a[2] ?? '')])),
    at: match.index,
  }))
}

export function tagsNamed(page: string, name: string): Tag[] {
  return tags(page).filter((tag) => tag.name === name)
}

/** The decoded text of the first element `name` (its children's tags removed). */
export function textOf(page: string, name: string): string {
  const match = new RegExp(`<${name}\\b[^>]*>([\\s\\S]*?)</${name}>`).exec(page)
  if (match === null) throw new Error(`no <${name}> in the page`)
  return decode((match[1] as string).replace(/<[^>]*>/g, '')).replace(/\s+/g, ' ').trim()
}

/** The decoded text of every element `name`. */
export function textsOf(page: string, name: string): string[] {
  return [...page.matchAll(new RegExp(`<${name}\\b[^>]*>([\\s\\S]*?)</${name}>`, 'g'))]
    .map((match) => decode((match[1] as string).replace(/<[^>]*>/g, '')).replace(/\s+/g, ' ').trim())
}

/** The hidden fields of the page's form, decoded, in order. */
export function hiddenInputs(page: string): Array<[string, string]> {
  return tagsNamed(page, 'input').filter((tag) => tag.attrs.type === 'hidden').map((tag) => [tag.attrs.name as string, tag.attrs.value as string])
}
