/**
 * Byte sources: a capture file as a stream of bytes, decompressed when the
 * first bytes say so (gzip), never judged by the file name.
 */
import { createReadStream, promises as fsp } from 'node:fs';
import { createGunzip } from 'node:zlib';

export interface ByteSource {
  readonly compression: 'gzip' | null;
  /** Read up to len bytes into buf at off; resolves 0 at end of stream. Throws SourceError. */
  read(buf: Uint8Array, off: number, len: number): Promise<number>;
  /** Bytes of the underlying file consumed so far (for progress). */
  readonly fileBytesRead: number;
  readonly fileSize: number;
  close(): Promise<void>;
}

/** A failure of the byte stream itself (I/O error, corrupt compressed data). */
export class SourceError extends Error {}

const READ_CHUNK = 1 << 20;

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

/**
 * Open a file as a ByteSource. Throws SourceError for unreadable files and for
 * compression formats we cannot decompress (with the name of the format).
 */
export async function openByteSource(path: string): Promise<ByteSource> {
  let fh: fsp.FileHandle;
  try {
    fh = await fsp.open(path, 'r');
  } catch (e) {
    throw new SourceError(`cannot open: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new SourceError('not a regular file');
    const head = new Uint8Array(8);
    const { bytesRead } = await fh.read(head, 0, 8, 0);
    const h = head.subarray(0, bytesRead);
    if (h.length >= 2 && h[0] === 0x1f && h[1] === 0x8b) {
      await fh.close();
      return new GzipSource(path, st.size);
    }
    for (const c of COMPRESSION_MAGIC) {
      if (startsWith(h, c.magic)) throw new SourceError(`${c.name}-compressed file: not supported (decompress it first, or use gzip)`);
    }
    return new FileSource(fh, st.size);
  } catch (e) {
    await fh.close().catch(() => undefined);
    throw e instanceof SourceError ? e : new SourceError(`cannot read: ${(e as Error).message}`);
  }
}

class FileSource implements ByteSource {
  readonly compression = null;
  fileBytesRead = 0;
  constructor(private readonly fh: fsp.FileHandle, readonly fileSize: number) {}

  async read(buf: Uint8Array, off: number, len: number): Promise<number> {
    try {
      const { bytesRead } = await this.fh.read(buf, off, len, null);
      this.fileBytesRead += bytesRead;
      return bytesRead;
    } catch (e) {
      throw new SourceError(`read error: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }

  async close(): Promise<void> {
    await this.fh.close().catch(() => undefined);
  }
}

/** gzip (also multi-member) decompressed as a stream: memory stays bounded for any file size. */
class GzipSource implements ByteSource {
  readonly compression = 'gzip' as const;
  private readonly raw;
  private readonly it: AsyncIterator<Buffer>;
  private chunk: Buffer | null = null;
  private chunkPos = 0;
  private done = false;

  constructor(path: string, readonly fileSize: number) {
    this.raw = createReadStream(path, { highWaterMark: READ_CHUNK });
    const gunzip = createGunzip({ chunkSize: READ_CHUNK });
    this.raw.on('error', (e) => gunzip.destroy(e));
    this.it = this.raw.pipe(gunzip)[Symbol.asyncIterator]();
  }

  get fileBytesRead(): number {
    return this.raw.bytesRead;
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
  }
}
