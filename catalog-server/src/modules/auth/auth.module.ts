import { Global, Module } from '@nestjs/common';
import { APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { AuditController } from './audit.controller.js';
import { AuditInterceptor } from './audit.interceptor.js';
import { AuditRepository } from './audit.repository.js';
import { AuditResolver } from './audit.resolver.js';
import { AuditService } from './audit.service.js';
import { OidcIssuer } from './oidc-issuer.js';
import { OidcSignInService } from './oidc-sign-in.service.js';
import { OperatorsRepository } from './operators.repository.js';
import { OperatorsResolver } from './operators.resolver.js';
import { OperatorsService } from './operators.service.js';
import { RolesGuard } from './roles.guard.js';

@Global()
@Module({
  controllers: [AuditController],
  providers: [
    OperatorsRepository,
    OperatorsService,
    OperatorsResolver,
    OidcIssuer,
    OidcSignInService,
    AuditRepository,
    AuditService,
    AuditResolver,
    { provide: APP_GUARD, useClass: RolesGuard },
    { provide: APP_INTERCEPTOR, useClass: AuditInterceptor },
  ],
  exports: [OperatorsService, AuditService],
})
export class AuthModule {}
