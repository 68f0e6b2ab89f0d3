import QRCode from 'qrcode'
import { html, type Html } from './html.js'

/** The blank border scanners need around the symbol: 4 modules (ISO/IEC 18004 §6.3.8). */
const QUIET_ZONE = 4

/**
 * `text` (an otpauth:// URI) as an inline SVG QR code, rendered on the server: no script, no
 * image request, and nothing the page CSP refuses — only presentation attributes (fill), never a
 * `style` attribute or element (style-src 'self' blocks inline styles). qrcode computes the
 * modules; the markup is made here with `html`, so the page's escaping rule has no exception.
 * Each row's dark runs become one path of unit-high rectangles.
 */
export async function qrSvg(text: string): Promise<Html> {
  const { modules } = QRCode.create(text, { errorCorrectionLevel: 'M' })
  const { size } = modules
  const runs: string[] = []
  for (let row = 0; row < size; row += 1) {
    let col = 0
    while (col < size) {
      if (!modules.get(row, col)) { col += 1; continue }
      const start = col
      while (col < size && modules.get(row, col)) col += 1
      runs.push(`M${start + QUIET_ZONE} ${row + QUIET_ZONE}h${col - start}v1h-${col - start}z`)
    }
  }
  const extent = size + 2 * QUIET_ZONE
  return html`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${extent} ${extent}" width="${extent * 4}" height="${extent * 4}" shape-rendering="crispEdges" role="img" aria-label="QR code"><rect width="${extent}" height="${extent}" fill="#ffffff"/><path fill="#000000" d="${runs.join('')}"/></svg>`
}
