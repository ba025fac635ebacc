// The offline GraphQL IDE (graphql-ide.controller.ts).
import { Module } from '@nestjs/common';
import { GraphqlIdeController } from './graphql-ide.controller.js';

@Module({ controllers: [GraphqlIdeController] })
export class GraphqlIdeModule {}
