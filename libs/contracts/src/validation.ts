import { ValidateIf } from 'class-validator';

/**
 * Like @IsOptional, but only a missing field skips validation: an explicit null is checked
 * (and rejected) instead of reaching the database as a null for a column that has none.
 */
export const IsOmittable = () => ValidateIf((_object: object, value: unknown) => value !== undefined);

/** The aitbc CLI prints values as rich text, where square brackets are markup: keep them out of names. */
export const NO_BRACKETS = /^[^\[\]]*$/;
