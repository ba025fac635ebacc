import { Field, ID, ObjectType } from '@nestjs/graphql';
import { Connection } from '../../../common/pagination.js';

@ObjectType('AuditEvent', { description: 'A mutation an operator made, or a request the server refused.' })
export class AuditEventModel {
  @Field(() => ID, { description: 'Increasing: later events have larger ids.' })
  id!: string;

  @Field()
  at!: Date;

  @Field(() => String, { nullable: true, description: 'Null when the request carried no valid token.' })
  operator!: string | null;

  @Field(() => ID, { nullable: true })
  tokenId!: string | null;

  @Field(() => String, { nullable: true, description: "The client's address as the server saw it." })
  address!: string | null;

  @Field({
    description:
      '"Mutation.startBackup", "Query.operators", or "authenticate" for a request without a valid token (and an OIDC sign-in that created an operator, changed its role or granted none).',
  })
  operation!: string;

  @Field(() => String, { nullable: true, description: 'The arguments as JSON, secrets replaced by "(redacted)", long values cut.' })
  arguments!: string | null;

  @Field({ description: '"OK" or the error code the operation ended with (UNAUTHENTICATED, FORBIDDEN, ...).' })
  result!: string;

  @Field(() => String, { nullable: true })
  message!: string | null;
}

@ObjectType('AuditEventConnection')
export class AuditEventConnection extends Connection(AuditEventModel, 'AuditEvent') {}
