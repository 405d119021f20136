DROP TABLE invitation_sends;
DROP TABLE invitations;
