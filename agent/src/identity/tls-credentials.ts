// How the agent talks TLS to the catalog server: it trusts only the CA it pinned at enrolment, and
// accepts a server certificate only for the server's name (CATALOG_SERVER_NAME unless the config
// says otherwise) and only if the certificate is for a TLS server (extended key usage serverAuth):
// another agent's certificate, issued by the same CA, cannot pose as the catalog server.
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import { credentials, type ChannelCredentials } from '@grpc/grpc-js';
import type { ServerTls } from '../session/server-client.js';

/** The name every catalog server certificate carries (the server's certificate-authority.ts). */
export const CATALOG_SERVER_NAME = 'ferrite-catalog';
const EKU_SERVER_AUTH = '1.3.6.1.5.5.7.3.1';

/** TLS to the server with the agent's certificate (or none, to enrol) and only `caPem` trusted. */
export function serverTls(caPem: string, serverName: string, client?: { keyPem: string; certificatePem: string }): ServerTls {
  const verify = {
    checkServerIdentity: (host: string, cert: PeerCertificate): Error | undefined => {
      const nameError = checkServerIdentity(host, cert);
      if (nameError) return nameError;
      if (!(cert as PeerCertificate & { ext_key_usage?: string[] }).ext_key_usage?.includes(EKU_SERVER_AUTH))
        return new Error(`the certificate for ${host} is not a TLS server certificate (no serverAuth usage): not the catalog server`);
      return undefined;
    },
  };
  const ca = Buffer.from(caPem);
  const channelCredentials: ChannelCredentials = client
    ? credentials.createSsl(ca, Buffer.from(client.keyPem), Buffer.from(client.certificatePem), verify)
    : credentials.createSsl(ca, null, null, verify);
  return { credentials: channelCredentials, serverName };
}
