// The agent's identity on disk: its private key (mode 0600, never leaves the machine), the
// certificate the catalog server's CA issued for it, and that CA (the only one the agent trusts).
// The key and its certificate live in one file (agent.pem, mode 0600), replaced atomically, so a
// crash during a renewal leaves the old pair or the new one, never a key with another's certificate.
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';

export interface AgentIdentityFiles {
  keyPem: string;
  certificatePem: string;
  caPem: string;
}

export interface AgentIdentity extends AgentIdentityFiles {
  /** The name the certificate binds the agent to (its CN). */
  name: string;
  notBefore: Date;
  notAfter: Date;
  /** SHA-256 of the CA certificate, AB:CD:... */
  caFingerprint: string;
}

export class IdentityError extends Error {}

const KEY_AND_CERTIFICATE = 'agent.pem';
const CA = 'ca.crt';
const PEM_BLOCK = /-----BEGIN ([A-Z ]+)-----[\s\S]+?-----END \1-----\n?/g;

/** The identity in `dir`, or null when the agent has not enrolled yet (no certificate there). */
export async function loadIdentity(dir: string): Promise<AgentIdentity | null> {
  const read = (name: string) =>
    readFile(path.join(dir, name), 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return null;
      throw new IdentityError(`cannot read ${path.join(dir, name)}: ${err.message}`);
    });
  const [pair, caPem] = [await read(KEY_AND_CERTIFICATE), await read(CA)];
  if (pair === null) return null;
  const blocks = [...pair.matchAll(PEM_BLOCK)];
  const keyPem = blocks.find((b) => b[1] === 'PRIVATE KEY')?.[0];
  const certificatePem = blocks.find((b) => b[1] === 'CERTIFICATE')?.[0];
  if (!keyPem || !certificatePem || caPem === null)
    throw new IdentityError(`${dir} holds no whole identity (key, certificate and CA): enrol again (ferrite-agent enroll)`);
  return describeIdentity({ keyPem, certificatePem, caPem }, dir);
}

/** Checks the files belong together and reads what the agent needs to know of them. */
export function describeIdentity(files: AgentIdentityFiles, where = 'the enrolment answer'): AgentIdentity {
  try {
    const cert = new X509Certificate(files.certificatePem);
    const ca = new X509Certificate(files.caPem);
    if (!cert.checkPrivateKey(createPrivateKey(files.keyPem))) throw new IdentityError(`the certificate in ${where} is not for the agent's key`);
    if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) throw new IdentityError(`the certificate in ${where} was not issued by its CA`);
    const cn = /^CN=(.+)$/m.exec(cert.subject)?.[1];
    if (!cn) throw new IdentityError(`the certificate in ${where} names no agent (no CN)`);
    return { ...files, name: cn, notBefore: new Date(cert.validFrom), notAfter: new Date(cert.validTo), caFingerprint: ca.fingerprint256 };
  } catch (err) {
    if (err instanceof IdentityError) throw err;
    throw new IdentityError(`the identity in ${where} cannot be read: ${(err as Error).message}`);
  }
}

export async function saveIdentity(dir: string, files: AgentIdentityFiles): Promise<AgentIdentity> {
  const identity = describeIdentity(files);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  await writeAtomically(path.join(dir, CA), files.caPem, 0o644);
  await writeAtomically(path.join(dir, KEY_AND_CERTIFICATE), `${files.keyPem.trim()}\n${files.certificatePem.trim()}\n`, 0o600);
  return identity;
}

async function writeAtomically(file: string, content: string, mode: number): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, content, { mode, flush: true });
  await chmod(tmp, mode);
  await rename(tmp, file);
}
