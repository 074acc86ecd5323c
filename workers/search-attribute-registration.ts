import type { Environment } from '../infra/environment';
import { amtoSearchAttributes } from '../infra/servers';
import { connectTemporalClient } from './temporal-connection';

/** temporal.api.enums.v1.IndexedValueType (the proto package is not a direct dependency). */
const indexedType: Record<(typeof amtoSearchAttributes)[keyof typeof amtoSearchAttributes], number> = {
  Keyword: 2,
  Int: 3,
  Double: 4,
  Bool: 5,
};

/**
 * Registers the search attributes the workflow upserts when the namespace lacks any: upserting an
 * unregistered one fails every workflow task, so a server started by an older version (or by hand)
 * would leave runs stuck. Where registering is not allowed (e.g. a hosted namespace), says how.
 */
export async function registerSearchAttributes(
  environment: Environment,
  log: (line: string) => void,
): Promise<void> {
  const { namespace } = environment.temporal;
  const connection = await connectTemporalClient(environment.temporal);
  try {
    const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
    const missing = Object.entries(amtoSearchAttributes).filter(
      ([name]) => !(name in (customAttributes ?? {})),
    );
    if (missing.length === 0) return;
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(missing.map(([name, type]) => [name, indexedType[type]])),
    });
    log(`[worker] registered search attributes ${missing.map(([name]) => name).join(', ')} in ${namespace}`);
  } catch (error) {
    const commands = Object.entries(amtoSearchAttributes)
      .map(([name, type]) => `temporal operator search-attribute create --name ${name} --type ${type}`)
      .join('; ');
    log(
      `[worker] could not check or register search attributes (${(error as Error).message}); register them: ${commands}`,
    );
  } finally {
    await connection.close();
  }
}
