// The GraphQL IDE, served from the server's own files so it works on an offline site: GET /graphql
// from a browser (Accept: text/html, no query) answers the page; its script and styles are at
// /graphql-ide/<file>. Every other request to /graphql falls through to Apollo. These routes hold no
// data and need no token; each GraphQL request the IDE makes still does.
import { Controller, Get, HttpException, Next, Param, Req, Res, type OnModuleInit } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { PublicRoute } from '../auth/roles.js';
import { IDE_BUILD_DIR, loadIdeFiles, type IdeFile } from './graphql-ide.files.js';

// The parts of Express's request this uses (the platform is Express; its types are not a dependency).
type Request = IncomingMessage & { query: Record<string, unknown>; accepts(types: string[]): string | false };

const NO_DATA = 'the GraphQL IDE: static files, no data; its GraphQL requests need a token';

/** Nothing from another origin: scripts, styles, fonts (inlined as data:) and connections (HTTP and graphql-ws) stay on this server. */
export const IDE_CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  // GraphiQL and CodeMirror set inline styles.
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

@Controller()
export class GraphqlIdeController implements OnModuleInit {
  private files: Map<string, IdeFile> | null = null;

  async onModuleInit(): Promise<void> {
    this.files = await loadIdeFiles();
  }

  @PublicRoute(NO_DATA)
  @Get('graphql')
  page(@Req() req: Request, @Res() res: ServerResponse, @Next() next: () => void): void {
    // The browser's navigation prefers HTML; a GraphQL GET (?query=) or a client asking for JSON goes to Apollo.
    if (req.query.query !== undefined || req.accepts(['application/json', 'application/graphql-response+json', 'text/html']) !== 'text/html') return next();
    this.send(res, 'index.html');
  }

  @PublicRoute(NO_DATA)
  @Get('graphql-ide/:file')
  asset(@Param('file') file: string, @Res() res: ServerResponse): void {
    if (file === 'index.html') throw new HttpException({ code: 'NOT_FOUND', message: 'the IDE is at /graphql' }, 404);
    this.send(res, file);
  }

  private send(res: ServerResponse, name: string): void {
    if (!this.files)
      throw new HttpException(
        { code: 'UNAVAILABLE', message: `the GraphQL IDE was not built (${IDE_BUILD_DIR} is missing): run npm run build; the API itself works` },
        503,
      );
    const f = this.files.get(name);
    if (!f) throw new HttpException({ code: 'NOT_FOUND', message: `no IDE file ${name}` }, 404);
    res.setHeader('content-type', f.contentType);
    res.setHeader('content-security-policy', IDE_CONTENT_SECURITY_POLICY);
    res.setHeader('x-content-type-options', 'nosniff');
    // Fixed names, rebuilt with the server: revalidate rather than serve a stale bundle after an upgrade.
    res.setHeader('cache-control', 'no-cache');
    res.end(f.body);
  }
}
