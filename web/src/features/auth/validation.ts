export type FieldErrors = Partial<Record<string, string>>;

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function validateEmail(email: string): string | undefined {
  if (email.trim() === '') return 'Enter your e-mail address';
  if (!EMAIL.test(email.trim())) return 'Enter a valid e-mail address, like name@example.com';
  return undefined;
}

export function validateNewPassword(password: string): string | undefined {
  if (password.length < 10) return 'Use at least 10 characters';
  return undefined;
}

/** Keep only the fields that have a message. */
export function compact(errors: FieldErrors): FieldErrors {
  const result: FieldErrors = {};
  for (const [key, value] of Object.entries(errors)) if (value) result[key] = value;
  return result;
}
