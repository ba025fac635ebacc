// GraphQL edge for tapes: list, lookup, registering a shelf cartridge.
import { Args, Int, Mutation, ObjectType, Query, Resolver } from '@nestjs/graphql';
import { Connection, PageArgs } from '../../common/pagination.js';
import { TapeFilterInput } from './dto/tape-filter.input.js';
import { TapeModel } from './models/tape.model.js';
import { toTapeModel } from './tape.mapper.js';
import { TapesService } from './tapes.service.js';
import { TapeErrors } from './tapes.errors.js';
import { RequireRole, Role } from '../auth/roles.js';

@ObjectType()
export class TapeConnection extends Connection(TapeModel, 'Tape') {}

@Resolver(() => TapeModel)
export class TapesResolver {
  constructor(private readonly tapesService: TapesService) {}

  @RequireRole(Role.VIEWER)
  @Query(() => TapeConnection, { description: 'Tapes, by barcode.' })
  tapes(@Args('filter', { type: () => TapeFilterInput, nullable: true }) filter: TapeFilterInput | null, @Args() page: PageArgs) {
    return this.tapesService.list(filter, page);
  }

  @RequireRole(Role.VIEWER)
  @Query(() => TapeModel, { nullable: true, description: 'One tape; an unknown barcode is a TAPE_NOT_FOUND error.' })
  async tape(@Args('barcode') barcode: string): Promise<TapeModel> {
    const row = await this.tapesService.findByBarcode(barcode);
    if (!row) throw TapeErrors.notFound(barcode);
    return toTapeModel(row);
  }

  @RequireRole(Role.OPERATOR)
  @Mutation(() => TapeModel, { description: 'Adds a cartridge that sits on a shelf, known to no library yet.' })
  registerTape(
    @Args('barcode') barcode: string,
    @Args('generation', { type: () => Int, nullable: true, description: 'LTO generation; taken from the barcode suffix (L9 -> 9) when omitted.' })
    generation: number | null,
  ): Promise<TapeModel> {
    return this.tapesService.register(barcode, generation);
  }
}
