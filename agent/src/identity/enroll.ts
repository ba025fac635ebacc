// Enrolment: the agent trades a one-time token (createAgentEnrollment) for its certificate.
// The token carries the CA's fingerprint, so before anything is sent the agent looks at the
// certificate chain the server presents and takes the CA only if its fingerprint matches: a
// man in the middle, or the wrong server, gets nothing (not even the token). From then on the CA
// is the only one the agent trusts, and its key never leaves the machine (the server gets a CSR).
import { X509Certificate } from 'node:crypto';
import { connect, type DetailedPeerCertificate } from 'node:tls';
import { AgentEnrollmentServiceClient, parseEnrollmentToken, type EnrollResponse } from '@ferrite/proto';
import { Metadata, type ServiceError } from '@grpc/grpc-js';
import { newKeyAndRequest } from './certificate-request.js';
import { IdentityError, saveIdentity, type AgentIdentity } from './identity-store.js';
import { serverTls } from './tls-credentials.js';

const TIMEOUT_MS = 30_000;

export interface EnrollOptions {
  /** host:port of the catalog server's gRPC endpoint. */
  server: string;
  token: string;
  /** Where the identity is written (the agent's identityDir). */
  dir: string;
  /** The name the server's certificate must carry. */
  serverName: string;
  /** The agent's configured name: the server refuses a token made for another (and keeps it unused). */
  agentName: string;
}

export async function enroll(options: EnrollOptions): Promise<AgentIdentity> {
  const token = parseEnrollmentToken(options.token);
  if (!token) throw new IdentityError('that is not an enrolment token (it starts with fen1.): copy the whole token createAgentEnrollment gave');
  const caPem = await pinnedCa(options.server, options.serverName, token.caFingerprint);
  const { keyPem, csrPem } = await newKeyAndRequest(options.agentName);
  const tls = serverTls(caPem, options.serverName);
  const client = new AgentEnrollmentServiceClient(options.server, tls.credentials, {
    'grpc.ssl_target_name_override': tls.serverName,
    'grpc.default_authority': tls.serverName,
  });
  try {
    const res = await new Promise<EnrollResponse>((resolve, reject) =>
      client.enroll(
        { token: options.token.trim(), csrPem, agentName: options.agentName },
        new Metadata(),
        { deadline: new Date(Date.now() + TIMEOUT_MS) },
        (err, r) => (err ? reject(refusal(err)) : resolve(r)),
      ),
    );
    if (new X509Certificate(res.caCertificatePem).fingerprint256 !== token.caFingerprint)
      throw new IdentityError('the server answered with another CA than the token pins: refusing the certificate');
    return await saveIdentity(options.dir, { keyPem, certificatePem: res.certificatePem, caPem });
  } finally {
    client.close();
  }
}

/**
 * The CA certificate in the chain the server presents whose SHA-256 fingerprint is `fingerprint`.
 * The chain is not trusted here (there is nothing to trust it with yet); the fingerprint decides,
 * and the gRPC channel that follows verifies the server's certificate against this CA.
 */
export function pinnedCa(server: string, serverName: string, fingerprint: string): Promise<string> {
  const { host, port } = splitHostPort(server);
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, servername: serverName, rejectUnauthorized: false, ALPNProtocols: ['h2'], timeout: TIMEOUT_MS });
    const fail = (err: Error) => {
      socket.destroy();
      reject(err);
    };
    socket.once('timeout', () => fail(new IdentityError(`no TLS answer from ${server} within ${TIMEOUT_MS / 1000} s`)));
    socket.once('error', (err: Error) => fail(new IdentityError(`cannot reach the catalog server at ${server}: ${err.message}`)));
    socket.once('secureConnect', () => {
      const seen = new Set<string>();
      for (
        let cert: DetailedPeerCertificate | undefined = socket.getPeerCertificate(true);
        cert?.raw && !seen.has(cert.fingerprint256);
        cert = cert.issuerCertificate
      ) {
        seen.add(cert.fingerprint256);
        if (cert.fingerprint256 === fingerprint) {
          socket.end();
          return resolve(new X509Certificate(cert.raw).toString());
        }
      }
      fail(
        new IdentityError(
          `the server at ${server} did not present the CA this token pins (${fingerprint}): it is not the catalog server that made the token, or something is in between`,
        ),
      );
    });
  });
}

function splitHostPort(address: string): { host: string; port: number } {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(address) ?? /^([^:]+):(\d+)$/.exec(address);
  if (!m) throw new IdentityError(`the server address must be host:port (or [IPv6]:port), not ${JSON.stringify(address)}`);
  return { host: m[1], port: Number(m[2]) };
}

/** The server's refusal in its own words (ENROLLMENT_INVALID: ...), or the transport's. */
function refusal(err: ServiceError): IdentityError {
  const code = err.metadata?.get('ferrite-code')[0];
  return new IdentityError(typeof code === 'string' && code ? `enrolment refused: ${err.details}` : `enrolment failed: ${err.details || err.message}`);
}
