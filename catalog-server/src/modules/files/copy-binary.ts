// PostgreSQL COPY binary format, written straight into one growing Buffer: the bulk ingest streams
// its staging rows this way. Compared with the text format it spares Node the per-value strings and
// escaping (and the garbage they leave) and spares PostgreSQL parsing numbers, hex and timestamps.
//
// Layout (PostgreSQL docs, "COPY", binary format): an 11-byte signature, a 32-bit flags field and a
// 32-bit header-extension length; then per row a 16-bit field count and per field a 32-bit byte
// length (-1 for NULL) followed by the value in the type's binary "send" form, big-endian; a 16-bit
// -1 ends the data. Written by hand rather than with a library: the libraries we looked at take one
// object per field, which costs more than the encoding itself at millions of rows.

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
const TWO_POW_32 = 4_294_967_296;
/** 2000-01-01T00:00:00Z, PostgreSQL's timestamp epoch, in Unix milliseconds. */
const PG_EPOCH_MS = 946_684_800_000;
/** Milliseconds (from the PostgreSQL epoch) whose microseconds are still a safe integer. */
const SAFE_MS = Math.floor(Number.MAX_SAFE_INTEGER / 1000);

export class CopyBinaryWriter {
  private buf: Buffer;
  private at = 0;

  constructor(
    /** Fields per row: every row() must be followed by exactly this many values. */
    private readonly fields: number,
    initialBytes = 64 * 1024,
  ) {
    this.buf = Buffer.allocUnsafe(Math.max(initialBytes, 64));
    SIGNATURE.copy(this.buf, 0);
    this.buf.writeInt32BE(0, 11); // flags: no OIDs
    this.buf.writeInt32BE(0, 15); // no header extension
    this.at = 19;
  }

  /** Starts a row. */
  row(): this {
    this.room(2);
    this.buf.writeInt16BE(this.fields, this.at);
    this.at += 2;
    return this;
  }

  null(): this {
    this.room(4);
    this.buf.writeInt32BE(-1, this.at);
    this.at += 4;
    return this;
  }

  /** text (UTF-8); null writes NULL. */
  text(value: string | null | undefined): this {
    if (value === null || value === undefined) return this.null();
    // A UTF-16 code unit never takes more than three UTF-8 bytes.
    this.room(4 + value.length * 3);
    const length = this.buf.write(value, this.at + 4, 'utf8');
    this.buf.writeInt32BE(length, this.at);
    this.at += 4 + length;
    return this;
  }

  /** int4. */
  int4(value: number): this {
    this.room(8);
    this.buf.writeInt32BE(4, this.at);
    this.buf.writeInt32BE(value, this.at + 4);
    this.at += 8;
    return this;
  }

  /** int4; null writes NULL. */
  int4OrNull(value: number | null | undefined): this {
    return value === null || value === undefined ? this.null() : this.int4(value);
  }

  /** int8 from a safe integer; null writes NULL. */
  int8(value: number | null | undefined): this {
    if (value === null || value === undefined) return this.null();
    this.room(12);
    this.buf.writeInt32BE(8, this.at);
    this.writeSafeInt64(value, this.at + 4);
    this.at += 12;
    return this;
  }

  bool(value: boolean): this {
    this.room(5);
    this.buf.writeInt32BE(1, this.at);
    this.buf[this.at + 4] = value ? 1 : 0;
    this.at += 5;
    return this;
  }

  /** bytea (also a uuid given as its 16 bytes); null writes NULL. */
  bytes(value: Uint8Array | null | undefined): this {
    if (value === null || value === undefined) return this.null();
    this.room(4 + value.length);
    this.buf.writeInt32BE(value.length, this.at);
    this.buf.set(value, this.at + 4);
    this.at += 4 + value.length;
    return this;
  }

  /** timestamptz from Unix milliseconds; null writes NULL. */
  timestampMs(ms: number | null | undefined): this {
    if (ms === null || ms === undefined) return this.null();
    this.room(12);
    this.buf.writeInt32BE(8, this.at);
    const fromEpoch = ms - PG_EPOCH_MS;
    // Microseconds since 2000; beyond about 285,000 years from it they exceed 2^53 (BigInt then).
    if (Math.abs(fromEpoch) <= SAFE_MS) this.writeSafeInt64(fromEpoch * 1000, this.at + 4);
    else this.buf.writeBigInt64BE(BigInt(fromEpoch) * 1000n, this.at + 4);
    this.at += 12;
    return this;
  }

  /** The whole COPY payload, trailer included. The writer must not be used afterwards. */
  finish(): Buffer {
    this.room(2);
    this.buf.writeInt16BE(-1, this.at);
    this.at += 2;
    return this.buf.subarray(0, this.at);
  }

  /** Two's-complement big-endian int64 of a safe integer, without BigInt. */
  private writeSafeInt64(value: number, at: number): void {
    const high = Math.floor(value / TWO_POW_32);
    this.buf.writeInt32BE(high, at);
    this.buf.writeUInt32BE(value - high * TWO_POW_32, at + 4);
  }

  private room(bytes: number): void {
    if (this.at + bytes <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.at + bytes) size *= 2;
    const grown = Buffer.allocUnsafe(size);
    this.buf.copy(grown, 0, 0, this.at);
    this.buf = grown;
  }
}

/** A uuid's 16 bytes from its text form. */
export function uuidBytes(uuid: string): Buffer {
  return Buffer.from(uuid.replace(/-/g, ''), 'hex');
}
