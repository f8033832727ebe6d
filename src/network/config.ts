/** Hyperparameters of the layered Hopfield-style network (DESIGN.md §1). */
export type Schedule = 'synchronous' | 'sequential';

export interface NetworkConfig {
  /** Layer sizes n_0 (input) … n_L (output), e.g. [784, 500, 10]. */
  layers: number[];
  /** Relaxation step size eps (DESIGN.md §1: 0.5). */
  eps: number;
  /** Free-phase relaxation steps per training batch (20). */
  freeSteps: number;
  /** Synchronous (all layers from the previous step's states, as the reference code) or sequential (layer by layer). */
  schedule: Schedule;
  /** Cap on relaxation steps when a saved model is evaluated from s = 0 until its prediction stops changing. */
  evalMaxSteps: number;
  /** How the model predicts: relaxation of the energy (EP, TCL) or the couplings read as a feed-forward MLP (BP). */
  inference: 'relaxation' | 'feedforward';
}

export const DEFAULT_NETWORK: NetworkConfig = {
  layers: [784, 500, 10],
  eps: 0.5,
  freeSteps: 20,
  schedule: 'synchronous',
  evalMaxSteps: 200,
  inference: 'relaxation',
};
