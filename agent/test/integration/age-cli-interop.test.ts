// Interoperability with the age command line (Debian package `age`), both ways: X25519 recipients
// and identity files, and passphrases (driven through a pseudo-terminal by util-linux `script`,
// since age reads passphrases only from a terminal). Skipped when `age` is not on PATH, failed
// instead when FERRITE_REQUIRE_AGE=1 (as in CI).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import {
  CHUNK_SIZE,
  decryptStream,
  encryptStream,
  formatIdentity,
  generateIdentity,
  parseIdentityFile,
  type DecryptWith,
  type EncryptTo,
} from '../../src/crypto/age/index.js';

const run = promisify(execFile);

function missing(tool: string): string | null {
  try {
    execFileSync(tool, ['--version'], { stdio: 'ignore' });
    return null;
  } catch {
    return `${tool} is not on PATH`;
  }
}

const ageMissing = missing('age');
if (ageMissing && process.env.FERRITE_REQUIRE_AGE === '1') throw new Error(`FERRITE_REQUIRE_AGE=1 but ${ageMissing}`);
const scriptMissing = ageMissing ?? (missing('script') && 'util-linux `script` (to type a passphrase into age) is not on PATH');

const SIZES = [0, 1, CHUNK_SIZE, CHUNK_SIZE + 1, 5 * 1024 * 1024 + 3];

async function withTmp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ferrite-age-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function ferriteEncryptFile(from: string, to: string, recipients: EncryptTo): Promise<void> {
  await pipeline(createReadStream(from), encryptStream(recipients), createWriteStream(to));
}

async function ferriteDecryptFile(from: string, to: string, keys: DecryptWith): Promise<void> {
  await pipeline(createReadStream(from), decryptStream(keys), createWriteStream(to));
}

/** Runs age with a passphrase typed into its terminal. */
async function ageWithPassphrase(args: string[], typed: string): Promise<void> {
  const command = ['age', ...args].map((a) => `'${a}'`).join(' ');
  await new Promise<void>((resolve, reject) => {
    const child = execFile('script', ['-qec', command, '/dev/null'], { timeout: 60_000 }, (err) =>
      err ? reject(new Error(`age failed: ${err.message}`)) : resolve(),
    );
    child.stdin!.end(typed);
  });
}

test('age decrypts what Ferrite encrypts to an identity made by age-keygen, and Ferrite decrypts what age encrypts', { skip: ageMissing ?? false }, () =>
  withTmp(async (dir) => {
    const keyFile = path.join(dir, 'key.txt');
    await run('age-keygen', ['-o', keyFile]);
    const identities = parseIdentityFile(await readFile(keyFile, 'utf8'));
    const recipient = (await run('age-keygen', ['-y', keyFile])).stdout.trim();
    assert.equal(identities[0].recipient.text, recipient);
    for (const size of SIZES) {
      const plain = randomBytes(size);
      await writeFile(path.join(dir, 'plain'), plain);
      await ferriteEncryptFile(path.join(dir, 'plain'), path.join(dir, 'ours.age'), [recipient, generateIdentity().recipient]);
      // To stdout: age creates no -o file for an empty plaintext.
      const opened = await run('age', ['-d', '-i', keyFile, path.join(dir, 'ours.age')], { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 });
      assert.ok(opened.stdout.equals(plain), `age opened Ferrite's ${size} bytes`);

      await run('age', ['-r', recipient, '-o', path.join(dir, 'theirs.age'), path.join(dir, 'plain')]);
      await ferriteDecryptFile(path.join(dir, 'theirs.age'), path.join(dir, 'theirs.out'), identities);
      assert.ok((await readFile(path.join(dir, 'theirs.out'))).equals(plain), `Ferrite opened age's ${size} bytes`);
    }
  }),
);

test('age refuses a Ferrite file with a flipped payload byte, and the wrong identity', { skip: ageMissing ?? false }, () =>
  withTmp(async (dir) => {
    const id = generateIdentity();
    await writeFile(path.join(dir, 'key.txt'), formatIdentity(id) + '\n');
    await writeFile(path.join(dir, 'wrong.txt'), formatIdentity(generateIdentity()) + '\n');
    await writeFile(path.join(dir, 'plain'), randomBytes(3 * CHUNK_SIZE));
    await ferriteEncryptFile(path.join(dir, 'plain'), path.join(dir, 'f.age'), [id.recipient]);
    const sealed = await readFile(path.join(dir, 'f.age'));
    sealed[sealed.length - 100] ^= 1;
    await writeFile(path.join(dir, 'bad.age'), sealed);
    await assert.rejects(run('age', ['-d', '-i', path.join(dir, 'key.txt'), path.join(dir, 'bad.age')], { encoding: 'buffer' }));
    await assert.rejects(run('age', ['-d', '-i', path.join(dir, 'wrong.txt'), path.join(dir, 'f.age')], { encoding: 'buffer' }), /no identity matched/);
  }),
);

test('passphrases: age decrypts Ferrite scrypt files and Ferrite decrypts age -p files', { skip: scriptMissing ?? false }, () =>
  withTmp(async (dir) => {
    const plain = randomBytes(2 * CHUNK_SIZE + 5);
    await writeFile(path.join(dir, 'plain'), plain);
    await ferriteEncryptFile(path.join(dir, 'plain'), path.join(dir, 'ours.age'), { passphrase: 'vault key 42' });
    await ageWithPassphrase(['-d', '-o', path.join(dir, 'ours.out'), path.join(dir, 'ours.age')], 'vault key 42\n');
    assert.ok((await readFile(path.join(dir, 'ours.out'))).equals(plain));

    await ageWithPassphrase(['-p', '-o', path.join(dir, 'theirs.age'), path.join(dir, 'plain')], 'vault key 42\nvault key 42\n');
    assert.match((await readFile(path.join(dir, 'theirs.age'))).toString('latin1', 0, 40), /\n-> scrypt /);
    await ferriteDecryptFile(path.join(dir, 'theirs.age'), path.join(dir, 'theirs.out'), { passphrase: 'vault key 42' });
    assert.ok((await readFile(path.join(dir, 'theirs.out'))).equals(plain));
    await assert.rejects(ferriteDecryptFile(path.join(dir, 'theirs.age'), path.join(dir, 'x'), { passphrase: 'vault key 43' }), { code: 'KEY_INVALID' });
  }),
);
