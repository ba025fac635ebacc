// The only code that reads and writes operators and API tokens.
import { Injectable } from '@nestjs/common';
import type { ApiToken, Operator, OperatorRole } from '@ferrite/db';
import { PrismaService } from '../../database/prisma.service.js';
import { dbOperation } from '../../database/database-errors.js';
import { OIDC_OPERATOR_PREFIX } from './oidc-claims.js';

export type TokenWithOperator = ApiToken & { operator: Operator };
export type TokenRow = ApiToken & { operator: Pick<Operator, 'name'> };

@Injectable()
export class OperatorsRepository {
  constructor(private readonly prisma: PrismaService) {}

  findTokenByHash(secretHash: Buffer): Promise<TokenWithOperator | null> {
    return dbOperation('authenticating a token', () =>
      this.prisma.client.apiToken.findUnique({ where: { secretHash: new Uint8Array(secretHash) }, include: { operator: true } }),
    );
  }

  /** Records a use, at most once a minute per token (a write per request would cost more than the request). */
  async touchToken(id: string, now: Date): Promise<void> {
    await this.prisma.client.apiToken.updateMany({
      where: { id, OR: [{ lastUsedAt: null }, { lastUsedAt: { lt: new Date(now.getTime() - 60_000) } }] },
      data: { lastUsedAt: now },
    });
  }

  countOperators(): Promise<number> {
    return dbOperation('counting operators', () => this.prisma.client.operator.count());
  }

  findOperator(name: string): Promise<Operator | null> {
    return dbOperation('looking up an operator', () => this.prisma.client.operator.findUnique({ where: { name } }));
  }

  listOperators(): Promise<Operator[]> {
    return dbOperation('listing operators', () => this.prisma.client.operator.findMany({ orderBy: { name: 'asc' } }));
  }

  /** Null when the name is taken. */
  async createOperator(name: string, role: OperatorRole): Promise<Operator | null> {
    const rows = await dbOperation(
      'creating an operator',
      () => this.prisma.client.$queryRaw<{ id: string }[]>`
        INSERT INTO "operator" (id, name, role) VALUES (gen_random_uuid(), ${name}, ${role}::"OperatorRole")
        ON CONFLICT (name) DO NOTHING RETURNING id::text AS id`,
    );
    if (rows.length === 0) return null;
    return this.prisma.client.operator.findUniqueOrThrow({ where: { id: rows[0].id } });
  }

  updateOperator(id: string, data: { role?: OperatorRole; disabledAt?: Date | null }): Promise<Operator> {
    return dbOperation('updating an operator', () => this.prisma.client.operator.update({ where: { id }, data }));
  }

  /** Enabled local (not OIDC) admins other than `exceptId`: an admin cannot remove the last way to administer the site. */
  countOtherLocalAdmins(exceptId: string): Promise<number> {
    return dbOperation('counting admins', () =>
      this.prisma.client.operator.count({
        where: { role: 'ADMIN', disabledAt: null, id: { not: exceptId }, NOT: { name: { startsWith: OIDC_OPERATOR_PREFIX } } },
      }),
    );
  }

  createToken(operatorId: string, name: string, secretHash: Buffer, expiresAt: Date | null): Promise<TokenRow> {
    return dbOperation('creating an API token', () =>
      this.prisma.client.apiToken.create({
        data: { operatorId, name, secretHash: new Uint8Array(secretHash), expiresAt },
        include: { operator: { select: { name: true } } },
      }),
    );
  }

  findToken(id: string): Promise<TokenRow | null> {
    return dbOperation('looking up an API token', () =>
      this.prisma.client.apiToken.findUnique({ where: { id }, include: { operator: { select: { name: true } } } }),
    );
  }

  listTokens(operatorId: string | null): Promise<TokenRow[]> {
    return dbOperation('listing API tokens', () =>
      this.prisma.client.apiToken.findMany({
        where: operatorId ? { operatorId } : {},
        orderBy: { createdAt: 'desc' },
        include: { operator: { select: { name: true } } },
      }),
    );
  }

  revokeToken(id: string, now: Date): Promise<TokenRow> {
    return dbOperation('revoking an API token', async () => {
      await this.prisma.client.apiToken.updateMany({ where: { id, revokedAt: null }, data: { revokedAt: now } });
      return this.prisma.client.apiToken.findUniqueOrThrow({ where: { id }, include: { operator: { select: { name: true } } } });
    });
  }
}
