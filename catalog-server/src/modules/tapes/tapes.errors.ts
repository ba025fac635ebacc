// Error codes of the tapes domain (tapes and pools). Messages say what to do next.
import { FerriteError } from '../../common/errors.js';

export const TapeErrors = {
  notFound: (barcode: string) =>
    new FerriteError(
      'TAPE_NOT_FOUND',
      `no tape with barcode ${JSON.stringify(barcode)} is known; register it with registerTape or load it into an agent's library`,
      { barcode },
    ),
  alreadyExists: (barcode: string) => new FerriteError('TAPE_ALREADY_EXISTS', `tape ${barcode} is already in the catalog`, { barcode }),
  invalidBarcode: (barcode: string) =>
    new FerriteError('INVALID_BARCODE', `barcode ${JSON.stringify(barcode)} is not valid: use 2 to 16 upper-case letters and digits, e.g. FER001L9`, {
      barcode,
    }),
  invalidGeneration: (generation: number) => new FerriteError('INVALID_GENERATION', `LTO generation ${generation} is not supported (1..10)`, { generation }),
  poolNotFound: (name: string) => new FerriteError('POOL_NOT_FOUND', `no pool named ${JSON.stringify(name)}; create it with createPool`, { pool: name }),
  poolAlreadyExists: (name: string) => new FerriteError('POOL_ALREADY_EXISTS', `a pool named ${JSON.stringify(name)} already exists`, { pool: name }),
  invalidPool: (message: string, details: Record<string, unknown>) => new FerriteError('INVALID_POOL', message, details),
};
