/**
 * Byte sources: a capture as a stream of bytes, decompressed when its first
 * bytes say so (gzip), never judged by the file name. Regular files, FIFOs
 * and standard input ("-", e.g. `tcpdump -w - | darkscope read -`) are read
 * strictly sequentially, so a pipe works exactly like a file.
 */
import { fstat, promises as fsp, read as fsRead } from 'node:fs';
import { promisify } from 'node:util';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

export interface ByteSource {
  readonly compression: 'gzip' | null;
  /** Read up to len bytes into buf at off; resolves 0 at end of stream. Throws SourceError. */
  read(buf: Uint8Array, off: number, len: number): Promise<number>;
  /** Bytes of the underlying file consumed so far (for progress). */
  readonly fileBytesRead: number;
  /** Size of a regular file; null for pipes. */
  readonly fileSize: number | null;
  close(): Promise<void>;
}

/** A failure of the byte stream itself (I/O error, corrupt compressed data). */
export class SourceError extends Error {}

const READ_CHUNK = 1 << 20;
/** Bytes looked at to recognise a compression format. */
const HEAD = 8;

/** Compression formats recognised by magic; only gzip is decompressed (zlib is in Node). */
const COMPRESSION_MAGIC: { name: string; magic: number[] }[] = [
  { name: 'zstd', magic: [0x28, 0xb5, 0x2f, 0xfd] },
  { name: 'xz', magic: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00] },
  { name: 'bzip2', magic: [0x42, 0x5a, 0x68] },
  { name: 'lz4', magic: [0x04, 0x22, 0x4d, 0x18] },
];

function startsWith(head: Uint8Array, magic: number[]): boolean {
  if (head.length < magic.length) return false;
  for (let i = 0; i < magic.length; i++) if (head[i] !== magic[i]) return false;
  return true;
}

function errno(e: unknown): string {
  return (e as NodeJS.ErrnoException).code ?? (e as Error).message;
}

/**
 * Open a capture as a ByteSource ("-" is standard input). Throws SourceError
 * for unreadable inputs and for compression formats we cannot decompress.
 */
export async function openByteSource(path: string): Promise<ByteSource> {
  let fh: Handle;
  try {
    // Standard input may be a socket (spawned processes): /dev/stdin cannot be opened then, fd 0 can be read.
    fh = path === '-' ? stdinHandle() : await fsp.open(path, 'r');
  } catch (e) {
    throw new SourceError(`cannot open: ${errno(e)}`);
  }
  try {
    const st = await fh.stat();
    if (st.isDirectory()) throw new SourceError('is a directory');
    if (!st.isFile() && !st.isFIFO() && !st.isCharacterDevice() && !st.isSocket()) throw new SourceError('not a regular file or pipe');
    const size = st.isFile() ? st.size : null;
    // Read the head sequentially (no positional read: pipes cannot seek) and replay it.
    const head = new Uint8Array(HEAD);
    let n = 0;
    while (n < HEAD) {
      const { bytesRead } = await fh.read(head, n, HEAD - n, null);
      if (bytesRead === 0) break;
      n += bytesRead;
    }
    const file = new FileSource(fh, size, head.subarray(0, n));
    if (n >= 2 && head[0] === 0x1f && head[1] === 0x8b) return new GzipSource(file, size);
    for (const c of COMPRESSION_MAGIC) {
      if (startsWith(head.subarray(0, n), c.magic)) throw new SourceError(`${c.name}-compressed file: not supported (decompress it first, or use gzip)`);
    }
    return file;
  } catch (e) {
    await fh.close().catch(() => undefined);
    throw e instanceof SourceError ? e : new SourceError(`cannot read: ${errno(e)}`);
  }
}

/** What FileSource needs of a file handle; fd 0 gets a small adapter. */
interface Handle {
  stat(): Promise<{ isFile(): boolean; isDirectory(): boolean; isFIFO(): boolean; isCharacterDevice(): boolean; isSocket(): boolean; size: number }>;
  read(buf: Uint8Array, off: number, len: number, position: null): Promise<{ bytesRead: number }>;
  close(): Promise<void>;
}

function stdinHandle(): Handle {
  const readFd = promisify(fsRead);
  return {
    stat: () => promisify(fstat)(0),
    read: async (buf, off, len) => ({ bytesRead: (await readFd(0, buf, off, len, null)).bytesRead }),
    close: async () => undefined, // standard input belongs to the process
  };
}

/** Sequential reads of a file or pipe, serving the already-read head first. */
class FileSource implements ByteSource {
  readonly compression = null;
  fileBytesRead: number;
  constructor(private readonly fh: Handle, readonly fileSize: number | null, private head: Uint8Array) {
    this.fileBytesRead = head.length;
  }

  async read(buf: Uint8Array, off: number, len: number): Promise<number> {
    if (this.head.length > 0) {
      const n = Math.min(len, this.head.length);
      buf.set(this.head.subarray(0, n), off);
      this.head = this.head.subarray(n);
      return n;
    }
    try {
      const { bytesRead } = await this.fh.read(buf, off, len, null);
      this.fileBytesRead += bytesRead;
      return bytesRead;
    } catch (e) {
      throw new SourceError(`read error: ${errno(e)}`);
    }
  }

  async close(): Promise<void> {
    await this.fh.close().catch(() => undefined);
  }
}

/** gzip (also multi-member) decompressed as a stream: memory stays bounded for any file size. */
class GzipSource implements ByteSource {
  readonly compression = 'gzip' as const;
  private readonly it: AsyncIterator<Buffer>;
  private readonly raw: Readable;
  private chunk: Buffer | null = null;
  private chunkPos = 0;
  private done = false;

  constructor(private readonly file: FileSource, readonly fileSize: number | null) {
    const f = file;
    this.raw = Readable.from(
      (async function* () {
        for (;;) {
          const b = Buffer.allocUnsafe(READ_CHUNK);
          const n = await f.read(b, 0, b.length);
          if (n === 0) return;
          yield b.subarray(0, n);
        }
      })(),
      { objectMode: false },
    );
    const gunzip = createGunzip({ chunkSize: READ_CHUNK });
    this.raw.on('error', (e) => gunzip.destroy(e));
    this.it = this.raw.pipe(gunzip)[Symbol.asyncIterator]();
  }

  get fileBytesRead(): number {
    return this.file.fileBytesRead;
  }

  async read(buf: Uint8Array, off: number, len: number): Promise<number> {
    let n = 0;
    while (n < len) {
      if (!this.chunk || this.chunkPos >= this.chunk.length) {
        if (this.done || n > 0) break; // hand over what we have before waiting again
        let r: IteratorResult<Buffer>;
        try {
          r = await this.it.next();
        } catch (e) {
          this.done = true;
          throw new SourceError(`gzip: ${(e as Error).message}`);
        }
        if (r.done) {
          this.done = true;
          break;
        }
        this.chunk = r.value;
        this.chunkPos = 0;
      }
      const take = Math.min(len - n, this.chunk.length - this.chunkPos);
      buf.set(this.chunk.subarray(this.chunkPos, this.chunkPos + take), off + n);
      this.chunkPos += take;
      n += take;
    }
    return n;
  }

  async close(): Promise<void> {
    this.done = true;
    this.raw.destroy();
    await this.it.return?.().catch(() => undefined);
    await this.file.close();
  }
}
