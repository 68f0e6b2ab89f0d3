import { describe, expect, it } from 'vitest'
import { escapeHtml, html, htmlText, type Html } from '../../../src/http/pages/html.js'

// The tagged template every page is built with: text is escaped, only its own fragments are not.

const HOSTILE = `<script>alert("x")</script> & 'q'`
const ESCAPED = '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;q&#39;'

describe('html', () => {
  it('escapes &, <, >, " and \' in every interpolated string, in text and in attribute values', () => {
    expect(htmlText(html`<p title="${HOSTILE}">${HOSTILE}</p>`)).toBe(`<p title="${ESCAPED}">${ESCAPED}</p>`)
    expect(escapeHtml('&amp;')).toBe('&amp;amp;')
  })

  it('keeps its own fragments, nested and in arrays, and escapes the strings inside them once', () => {
    const items = ['a<b', 'c&d'].map((text) => html`<li>${text}</li>`)
    expect(htmlText(html`<ul>${items}</ul>`)).toBe('<ul><li>a&lt;b</li><li>c&amp;d</li></ul>')
    expect(htmlText(html`<div>${html`<b>${'"'}</b>`}</div>`)).toBe('<div><b>&quot;</b></div>')
  })

  it('renders nothing for null, undefined and false, and numbers as text', () => {
    expect(htmlText(html`[${null}${undefined}${false}${0}${''}]`)).toBe('[0]')
  })

  it('does not trust anything it did not make: a look-alike object or a string in an array is escaped', () => {
    const forged = { toString: () => '<b>forged</b>' } as unknown as Html
    expect(htmlText(html`${forged}`)).toBe('&lt;b&gt;forged&lt;/b&gt;')
    expect(htmlText(html`${['<i>'] as unknown as Html[]}`)).toBe('&lt;i&gt;')
  })
})
