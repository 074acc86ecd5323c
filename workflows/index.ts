// Every function exported here is registered as a workflow type.
export { amtoTraining } from './amto-training';
