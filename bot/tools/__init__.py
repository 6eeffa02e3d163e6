"""Tools on the top floor: ``kb check`` and ``kb test`` gather every part of the bot to check the knowledge."""
