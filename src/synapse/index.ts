/** One synapse's physics: kernels, nonlinearities, protocols, simulators, dissipation. */
export * from './kernels.ts';
export * from './nonlinearity.ts';
export * from './protocols.ts';
export * from './statespace.ts';
export * from './simulate.ts';
export * from './batch.ts';
export * from './window.ts';
export * from './dissipation.ts';
export * from './sweep.ts';
export * from './markov.ts';
export * from './periodic.ts';
export * from './fit.ts';
export * from './figures.ts';
