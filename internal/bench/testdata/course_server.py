# coding: utf-8
# The course's threaded relay chat server (chapitre-12-sockets.txt,
# "Server.py"), corrected only so that it runs, as the peer palabre's bench
# measures beside palabre:
#   - run() is a method of ThreadClient (the course's text lost its indent);
#   - the connection closes after the loop, not inside it, and it is
#     self.clientsocket (the text has self.connexion, which does not exist);
#   - ThreadClient(adresse[0], adresse[1], connexion): the text passes one
#     argument of three;
#   - listen(1024) instead of listen(5): a class connecting at once would
#     otherwise wait on the kernel's SYN retries;
#   - HOST and PORT come from the command line (the text leaves them to
#     the reader), and the welcome's closing quote is a straight one;
#   - the relay loop walks a copy of the dictionary (list(conn_client)):
#     the text's loop raises "dictionary changed size during iteration"
#     as soon as someone joins while a message is relayed, killing the
#     sender's thread.
# Everything else is the course's: one thread per client, recv(1024), a
# blocking send to each other client in turn, a print per message.
#
#   python3 course_server.py 127.0.0.1 12800

import socket, sys, threading

HOST = sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1"
PORT = int(sys.argv[2]) if len(sys.argv) > 2 else 12800


class ThreadClient(threading.Thread):
    def __init__(self, ip, port, clientsocket):
        threading.Thread.__init__(self)
        self.ip = ip
        self.port = port
        self.clientsocket = clientsocket
        print("[+] Nouveau thread pour %s %s" % (self.ip, self.port, ))

    def run(self):
        # Dialogue avec le client :
        nom = self.getName() # Nom thread
        while 1:
            msgClient = self.clientsocket.recv(1024).decode("Utf8")
            if not msgClient or msgClient.upper() == "FIN":
                break
            message = "%s> %s" % (nom, msgClient)
            print(message)
            # Faire suivre le message à tous les autres clients :
            for cle in list(conn_client):
                if cle != nom: # ne pas le renvoyer à l'émetteur
                    conn_client[cle].send(message.encode("Utf8"))
        # Fermeture de la connexion :
        self.clientsocket.close() # couper la connexion côté serveur
        del conn_client[nom] # supprimer son entrée dans le dictionnaire
        print("Client %s déconnecté." % nom) # Le thread se termine ici


mySocket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
try:
    mySocket.bind((HOST, PORT))
except socket.error:
    print("La liaison du socket à l'adresse choisie a échoué.")
    sys.exit()
print("Serveur prêt, en attente de requêtes ...")
mySocket.listen(1024)

conn_client = {} # dictionnaire des connexions clients
while 1:
    connexion, adresse = mySocket.accept()
    # Créer un nouvel objet thread pour gérer la connexion :
    th = ThreadClient(adresse[0], adresse[1], connexion)
    th.start()
    # Mémoriser la connexion dans le dictionnaire :
    it = th.getName() # identifiant du thread
    conn_client[it] = connexion
    print("Client %s connecté, adresse IP %s, port %s." % (it, adresse[0], adresse[1]))
    # Dialogue avec le client :
    msg = "Vous êtes connectés. SVP, envoyez vos messages."
    connexion.send(msg.encode("Utf8"))
