import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Registered on the dev server at start (infra/servers.ts); upserted each round so the web UI can filter runs. */
export const amtoRoundKey = defineSearchAttributeKey('AmtoRound', SearchAttributeType.INT);
export const amtoBestValLossKey = defineSearchAttributeKey('AmtoBestValLoss', SearchAttributeType.DOUBLE);
export const amtoArchKey = defineSearchAttributeKey('AmtoArch', SearchAttributeType.KEYWORD);
export const amtoDatasetKey = defineSearchAttributeKey('AmtoDataset', SearchAttributeType.KEYWORD);
/** True while an activity of the run is retrying after a failure: the web UI's list of stalled runs. */
export const amtoRetryingKey = defineSearchAttributeKey('AmtoRetrying', SearchAttributeType.BOOL);
