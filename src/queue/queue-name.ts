/** rotor's BullMQ queue; its keys live under `<redis.prefix>:rotations:`. */
export const ROTATION_QUEUE = 'rotations';
