import { Global, Module, type DynamicModule } from '@nestjs/common';
import { SERVER_CONFIG, type ServerConfig } from '../config/config.js';
import { DATABASE_URL, PrismaService } from './prisma.service.js';

@Global()
@Module({})
export class DatabaseModule {
  static forRoot(config: ServerConfig, databaseUrl: string): DynamicModule {
    return {
      module: DatabaseModule,
      providers: [{ provide: SERVER_CONFIG, useValue: config }, { provide: DATABASE_URL, useValue: databaseUrl }, PrismaService],
      exports: [SERVER_CONFIG, DATABASE_URL, PrismaService],
    };
  }
}
