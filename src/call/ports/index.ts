/** The ports the call core owns: adapters implement them, the composition root wires them in. */
export * from './clock';
export * from './conference';
export * from './media';
export * from './metrics';
export * from './records';
export * from './telephony';
export * from './translation';
export * from './ownership';
export * from './moves';
