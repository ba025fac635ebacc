// The agents' certificate authority: created on the first start (ECDSA P-256, key on disk 0600 in
// a 0700 directory) or a site's own CA loaded from files. It issues two kinds of certificates:
// agents' client certificates (EKU clientAuth only, the agent's name as CN) from their CSRs, and the
// gRPC endpoint's server certificate (EKU serverAuth only) at every start. Agents pin this CA and
// trust nothing else; the server trusts a client certificate only if it is also on record
// (AgentIdentityService), so a certificate this CA signed for anything else gets nothing.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { randomBytes, webcrypto, X509Certificate } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import path from 'node:path';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

type CryptoKey = webcrypto.CryptoKey;
type EcKeyAlgorithm = webcrypto.EcKeyAlgorithm;
type RsaHashedKeyAlgorithm = webcrypto.RsaHashedKeyAlgorithm;

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const CA_YEARS = 20;
const SERVER_CERT_DAYS = 397;
/** Certificates start a little in the past, so a client whose clock is behind still accepts them. */
const BACKDATE_MS = 10 * 60_000;
const EKU_SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const EKU_CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
/** The name every catalog server certificate carries: agents check for it unless told another. */
export const CATALOG_SERVER_TLS_NAME = 'ferrite-catalog';

export interface IssuedCertificate {
  pem: string;
  fingerprint: string;
  serialNumber: string;
  notBefore: Date;
  notAfter: Date;
}

export class CertificateAuthorityError extends Error {}

export class CertificateAuthority {
  private constructor(
    private readonly cert: x509.X509Certificate,
    private readonly key: CryptoKey,
    /** The CA certificate, PEM (what agents trust). */
    readonly certificatePem: string,
  ) {}

  /** SHA-256 of the CA certificate (DER), "AB:CD:...": what enrolment tokens carry for pinning. */
  get fingerprint(): string {
    return new X509Certificate(this.certificatePem).fingerprint256;
  }

  get notAfter(): Date {
    return this.cert.notAfter;
  }

  /** The site's CA (both files given), or ours in `dir`, created there if it is not yet. */
  static async open(options: { dir: string; certFile?: string; keyFile?: string }): Promise<CertificateAuthority> {
    if (options.certFile && options.keyFile) return CertificateAuthority.load(options.certFile, options.keyFile);
    const certFile = path.join(options.dir, 'ca.crt');
    const keyFile = path.join(options.dir, 'ca.key');
    const existing = await readFile(certFile, 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return null;
      throw err;
    });
    if (existing !== null) return CertificateAuthority.load(certFile, keyFile);
    return CertificateAuthority.create(options.dir, certFile, keyFile);
  }

  private static async load(certFile: string, keyFile: string): Promise<CertificateAuthority> {
    try {
      const certPem = await readFile(certFile, 'utf8');
      const cert = new x509.X509Certificate(certPem);
      const keyPem = await readFile(keyFile, 'utf8');
      const algorithm = cert.publicKey.algorithm as EcKeyAlgorithm | RsaHashedKeyAlgorithm;
      const importAlgorithm = algorithm.name === 'ECDSA' ? algorithm : { ...algorithm, hash: 'SHA-256' };
      const key = await webcrypto.subtle.importKey('pkcs8', x509.PemConverter.decodeFirst(keyPem), importAlgorithm, false, ['sign']);
      const basic = cert.getExtension(x509.BasicConstraintsExtension);
      if (!basic?.ca) throw new CertificateAuthorityError(`${certFile} is not a CA certificate (basicConstraints CA:TRUE is missing)`);
      return new CertificateAuthority(cert, key, cert.toString('pem'));
    } catch (err) {
      if (err instanceof CertificateAuthorityError) throw err;
      throw new CertificateAuthorityError(`cannot load the agents' CA from ${certFile} and ${keyFile}: ${(err as Error).message}`);
    }
  }

  /**
   * A new CA, written whole into a temporary directory that is then renamed to `dir`: two
   * processes starting at once on an empty `dir` cannot mix one's key with the other's
   * certificate; the loser loads the winner's CA.
   */
  private static async create(dir: string, certFile: string, keyFile: string): Promise<CertificateAuthority> {
    await mkdir(path.dirname(dir), { recursive: true });
    const tmp = await mkdtemp(`${dir}.new-`);
    try {
      await chmod(tmp, 0o700);
      const keys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
      const now = Date.now();
      const cert = await x509.X509CertificateGenerator.createSelfSigned({
        serialNumber: serial(),
        name: `CN=Ferrite agents CA ${hostname()}`,
        notBefore: new Date(now - BACKDATE_MS),
        notAfter: new Date(now + CA_YEARS * 365 * 86_400_000),
        keys,
        signingAlgorithm: ALGORITHM,
        extensions: [
          new x509.BasicConstraintsExtension(true, 0, true),
          new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
          await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
        ],
      });
      const keyPem = x509.PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey), 'PRIVATE KEY');
      await writeFile(path.join(tmp, path.basename(keyFile)), keyPem, { mode: 0o600, flush: true });
      await writeFile(path.join(tmp, path.basename(certFile)), cert.toString('pem'), { mode: 0o644, flush: true });
      // Over an empty directory (someone made it) rename succeeds; over a CA another process
      // just made it fails with ENOTEMPTY or EEXIST, and that CA is the one to use.
      await rename(tmp, dir).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOTEMPTY' && err.code !== 'EEXIST') throw err;
      });
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
    return CertificateAuthority.load(certFile, keyFile);
  }

  /** The gRPC endpoint's certificate and its key (PEM; the chain includes this CA). */
  async issueServerCertificate(extraNames: string[]): Promise<{ certificateChainPem: string; privateKeyPem: string }> {
    const keys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
    const names = [...new Set([CATALOG_SERVER_TLS_NAME, 'localhost', '127.0.0.1', '::1', hostname(), ...extraNames])];
    const issued = await this.issue({
      subject: `CN=${CATALOG_SERVER_TLS_NAME}`,
      publicKey: keys.publicKey,
      days: SERVER_CERT_DAYS,
      extendedKeyUsage: EKU_SERVER_AUTH,
      altNames: names.map((value) => (isIP(value) ? { type: 'ip' as const, value } : { type: 'dns' as const, value })),
    });
    const privateKeyPem = x509.PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey), 'PRIVATE KEY');
    return { certificateChainPem: `${issued.pem}\n${this.certificatePem}\n`, privateKeyPem };
  }

  /**
   * An agent's client certificate for the key in `csrPem` (whose signature proves the agent holds
   * it). Everything else in the CSR is ignored: the certificate names `agentName`.
   */
  async issueAgentCertificate(csrPem: string, agentName: string, days: number): Promise<IssuedCertificate> {
    let csr: x509.Pkcs10CertificateRequest;
    try {
      csr = new x509.Pkcs10CertificateRequest(csrPem);
    } catch (err) {
      throw new CertificateAuthorityError(`the certificate signing request is not a PEM PKCS#10 request: ${(err as Error).message}`);
    }
    if (!(await csr.verify().catch(() => false))) throw new CertificateAuthorityError('the certificate signing request is not signed by its own key');
    const publicKey = (await csr.publicKey.export().catch(() => null)) as CryptoKey | null;
    const algorithm = csr.publicKey.algorithm as Partial<EcKeyAlgorithm & RsaHashedKeyAlgorithm>;
    const strongEnough =
      (algorithm.name === 'ECDSA' && ['P-256', 'P-384', 'P-521'].includes(algorithm.namedCurve ?? '')) ||
      (algorithm.name === 'RSASSA-PKCS1-v1_5' && (algorithm.modulusLength ?? 0) >= 2048);
    if (!publicKey || !strongEnough) throw new CertificateAuthorityError("the request's key must be ECDSA P-256/384/521 or RSA of 2048 bits or more");
    return this.issue({ subject: `CN=${agentName}`, publicKey, days, extendedKeyUsage: EKU_CLIENT_AUTH, altNames: [] });
  }

  private async issue(options: {
    subject: string;
    publicKey: CryptoKey;
    days: number;
    extendedKeyUsage: string;
    altNames: x509.JsonGeneralName[];
  }): Promise<IssuedCertificate> {
    const now = Date.now();
    // Never past the CA's own end: a chain with a leaf outliving its CA does not verify.
    const notAfter = new Date(Math.min(now + options.days * 86_400_000, this.cert.notAfter.getTime()));
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: serial(),
      subject: options.subject,
      issuer: this.cert.subject,
      notBefore: new Date(now - BACKDATE_MS),
      notAfter,
      signingKey: this.key,
      publicKey: options.publicKey,
      signingAlgorithm: this.key.algorithm.name === 'ECDSA' ? ALGORITHM : { name: this.key.algorithm.name, hash: 'SHA-256' },
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
        new x509.ExtendedKeyUsageExtension([options.extendedKeyUsage], false),
        ...(options.altNames.length ? [new x509.SubjectAlternativeNameExtension(options.altNames)] : []),
        await x509.AuthorityKeyIdentifierExtension.create(this.cert),
        await x509.SubjectKeyIdentifierExtension.create(options.publicKey),
      ],
    });
    const pem = cert.toString('pem');
    return { pem, fingerprint: new X509Certificate(pem).fingerprint256, serialNumber: cert.serialNumber, notBefore: cert.notBefore, notAfter: cert.notAfter };
  }
}

/** 128 random bits, positive (the top bit clear): unique without a counter to keep. */
function serial(): string {
  const bytes = randomBytes(16);
  bytes[0] &= 0x7f;
  return bytes.toString('hex');
}
