import { CliError } from './cli-error.js'

/**
 * Where a password comes from: never the command line, where `ps` and shell history would keep
 * it. At a terminal it is typed twice without echo; otherwise it is the first line of stdin, so
 * scripts can pipe it (`printf '%s\n' "$PW" | tessera users add bob`).
 */
export async function readNewPassword(input: NodeJS.ReadStream = process.stdin, prompts: NodeJS.WriteStream = process.stderr): Promise<string> {
  if (!input.isTTY) return readFirstLine(input, 'password')
  const [password, again] = await promptHidden(['Password: ', 'Repeat password: '], input, prompts, 'password')
  if (password !== again) throw new CliError('the passwords do not match')
  return password as string
}

/**
 * Another secret the same way (an upstream provider's client secret): typed once without echo,
 * since it is pasted from the provider's console rather than made up, or the first line of stdin.
 */
export async function readSecret(what: string, input: NodeJS.ReadStream = process.stdin, prompts: NodeJS.WriteStream = process.stderr): Promise<string> {
  if (!input.isTTY) return readFirstLine(input, what)
  const [secret] = await promptHidden([`${what[0]?.toUpperCase() ?? ''}${what.slice(1)}: `], input, prompts, what)
  return secret as string
}

/** Far above any password limit; a stream without a newline cannot grow memory without end. */
const MAX_LINE_BYTES = 1024 * 1024

function readFirstLine(input: NodeJS.ReadStream, what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    const finish = (error: Error | null) => {
      input.off('data', onData)
      input.off('end', onEnd)
      input.off('error', onError)
      input.pause()
      if (error !== null) return reject(error)
      const all = Buffer.concat(chunks)
      const newline = all.indexOf(0x0a)
      let line: string
      try {
        line = new TextDecoder('utf-8', { fatal: true }).decode(newline === -1 ? all : all.subarray(0, newline))
      } catch {
        return reject(new CliError(`the ${what} on stdin is not valid UTF-8`))
      }
      line = line.endsWith('\r') ? line.slice(0, -1) : line
      if (line === '') return reject(new CliError(`no ${what} given: type it at a terminal, or pipe it as the first line of stdin`))
      resolve(line)
    }
    const onData = (chunk: Buffer) => {
      chunks.push(chunk)
      size += chunk.length
      if (chunk.includes(0x0a)) finish(null)
      else if (size > MAX_LINE_BYTES) finish(new CliError(`the first line of stdin is too long to be a ${what}`))
    }
    const onEnd = () => finish(null)
    const onError = (err: Error) => finish(err)
    input.on('data', onData)
    input.once('end', onEnd)
    input.once('error', onError)
    input.resume()
  })
}

const ENTER = new Set(['\r', '\n'])
const CTRL_C = '\u0003'
const CTRL_D = '\u0004'
const CTRL_U = '\u0015'
const ERASE = new Set(['\u007f', '\b'])

/**
 * Raw mode, so the terminal echoes nothing; the few editing keys people expect still work. Raw
 * mode is on before the first prompt appears and stays on until the last answer, so nothing
 * typed ahead — or pasted with both answers at once — is ever echoed.
 */
function promptHidden(prompts: readonly string[], input: NodeJS.ReadStream, output: NodeJS.WriteStream, what: string): Promise<string[]> {
  input.setRawMode(true)
  input.setEncoding('utf8')
  output.write(prompts[0] ?? '')
  return new Promise((resolve, reject) => {
    const answers: string[] = []
    let value = ''
    const finish = (error: CliError | null) => {
      input.off('data', onData)
      input.setRawMode(false)
      input.pause()
      if (error === null) resolve(answers)
      else reject(error)
    }
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === CTRL_C) {
          output.write('\n')
          return finish(new CliError('cancelled', 130))
        }
        if (ENTER.has(ch) || ch === CTRL_D) {
          output.write('\n')
          if (value === '') return finish(new CliError(`no ${what} given`))
          answers.push(value)
          value = ''
          if (answers.length === prompts.length) return finish(null)
          output.write(prompts[answers.length] ?? '')
        } else if (ch === CTRL_U) value = ''
        else if (ERASE.has(ch)) value = [...value].slice(0, -1).join('')
        else if (ch >= ' ') value += ch
      }
    }
    input.on('data', onData)
    input.resume()
  })
}
