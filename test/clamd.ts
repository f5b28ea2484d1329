import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createConnection, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'

/** Debian puts clamd in /usr/sbin, which is not on every user's PATH. */
export const clamdBinary = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin']
  .filter(Boolean)
  .map((dir) => join(dir, 'clamd'))
  .find((path) => existsSync(path))

/** CI installs clamav-daemon and must run these tests; a developer's machine may not have it. */
export const skipWithoutClamd = !clamdBinary && !process.env.CI
if (skipWithoutClamd) {
  console.warn('clamd is not installed (apt-get install clamav-daemon): malware-scanning tests are skipped')
}

// The EICAR anti-virus test file in pieces: the repository never holds it whole, so scanners that
// watch the repository or its CI caches do not flag it.
const EICAR_PIECES = ['X5O!P%@AP[4\\PZX54(P^)7CC)7}$', 'EICAR-STANDARD-', 'ANTIVIRUS-TEST-', 'FILE', '!$H+H*']

/** The EICAR test file, assembled at run time. */
export function eicar(): Buffer {
  return Buffer.from(EICAR_PIECES.join(''), 'latin1')
}

/** Debian ships no signatures and the machines are offline: a body signature for EICAR suffices. */
export const EICAR_SIGNATURE = 'Eicar-Test-Signature-Body.UNOFFICIAL'

export type Clamd = {
  host: string
  port: number
  socket: string
  pid: number
  /** Freezes the daemon (SIGSTOP): connections are accepted by the kernel but never answered. */
  pause(): void
  resume(): void
  stop(): Promise<void>
}

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

function pong(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port })
    let reply = ''
    socket.setTimeout(1000, () => socket.destroy())
    socket.on('connect', () => socket.end('zPING\0'))
    socket.on('data', (chunk: Buffer) => (reply += chunk.toString()))
    socket.on('close', () => resolve(reply.startsWith('PONG')))
    socket.on('error', () => undefined)
  })
}

/**
 * Starts clamd on a loopback port and a Unix socket, with its own configuration and a signature
 * database written now, and waits until it answers PING (about 0.1 s with this tiny database).
 */
export async function startClamd(options: { streamMaxLength?: string } = {}): Promise<Clamd> {
  if (!clamdBinary) throw new Error('clamd is not installed: apt-get install -y clamav clamav-daemon')
  const dir = mkdtempSync(join(tmpdir(), 'cb-clamd-'))
  const db = join(dir, 'db')
  mkdirSync(db)
  const hex = Buffer.from(EICAR_PIECES.slice(1, 4).join('')).toString('hex')
  writeFileSync(join(db, 'eicar.ndb'), `Eicar-Test-Signature-Body:0:*:${hex}\n`)
  const port = await freePort()
  const socket = join(dir, 'clamd.sock')
  writeFileSync(
    join(dir, 'clamd.conf'),
    [
      `DatabaseDirectory ${db}`,
      `LocalSocket ${socket}`,
      `TCPSocket ${port}`,
      'TCPAddr 127.0.0.1',
      'Foreground yes',
      `StreamMaxLength ${options.streamMaxLength ?? '50M'}`,
      `TemporaryDirectory ${dir}`,
      'LogVerbose no',
      '',
    ].join('\n'),
  )

  const child: ChildProcess = spawn(clamdBinary, ['-c', join(dir, 'clamd.conf')], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  let running = true
  void exited.then(() => (running = false))

  const stop = async () => {
    if (running) {
      child.kill('SIGCONT')
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
      await exited
      clearTimeout(timer)
    }
    rmSync(dir, { recursive: true, force: true })
  }

  const deadline = Date.now() + 30_000
  while (!(await pong(port))) {
    if (!running || Date.now() > deadline) {
      await stop()
      throw new Error(`clamd did not start:\n${output.slice(-2000)}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return {
    host: '127.0.0.1',
    port,
    socket,
    pid: child.pid!,
    pause: () => child.kill('SIGSTOP'),
    resume: () => child.kill('SIGCONT'),
    stop,
  }
}
