/** Where a member whose password was reset chooses a new one before anything else. */
export const CHOOSE_PASSWORD_PATH = '/choose-password';
