/**
 * An error the emulated Secrets Manager answers with: AWS JSON 1.1 puts the code in `__type` and the text in
 * `Message`. Messages never carry secret values (AWS's own never do either).
 */
export class AwsApiError extends Error {
  override readonly name = 'AwsApiError';
  readonly code: string;
  readonly status: number;

  constructor(code: string, message: string, status = 400) {
    super(message);
    this.code = code;
    this.status = status;
  }
}

export const secretNotFound = (): AwsApiError =>
  new AwsApiError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");

export const invalidParameter = (message: string): AwsApiError =>
  new AwsApiError('InvalidParameterException', message);

export const invalidRequest = (message: string): AwsApiError =>
  new AwsApiError('InvalidRequestException', message);
