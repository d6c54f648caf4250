package pki_test

import (
	"crypto/x509"
	"fmt"
	"log"
	"time"

	"github.com/shuan-dev/shuan/gm"
	"github.com/shuan-dev/shuan/pki"
)

func signKey() []byte {
	k, err := gm.GenerateKey()
	if err != nil {
		log.Fatal(err)
	}
	der, err := gm.MarshalPublicKey(&k.PublicKey)
	if err != nil {
		log.Fatal(err)
	}
	return der
}

// The ministry creates the root, enrols a province (leaf + intermediate CA),
// and the province enrols an enterprise.
func Example() {
	now := time.Now()
	ministry := pki.Identity{NodeID: "0195f3c2-8a4e-7d10-9c3b-2f6a1e0d4b01", Role: pki.RoleMinistry, Name: "工业和信息化部", SignKey: signKey()}
	rootPEM, rootKeyPEM, err := pki.NewRoot(ministry, now, 0)
	if err != nil {
		log.Fatal(err)
	}
	root, err := pki.LoadAuthority(rootPEM, rootKeyPEM, nil)
	if err != nil {
		log.Fatal(err)
	}

	// Province: the parent decides the identity; the child only sends CSRs.
	province := pki.Identity{NodeID: "0195f3c2-8a4e-7d10-9c3b-2f6a1e0d4b02", Role: pki.RoleProvince, Name: "江苏省工业和信息化厅", Region: "320000", SignKey: signKey()}
	caKey, caKeyPEM, _ := pki.NewKey()
	caCSR, _ := pki.NewCSR(caKey, province, nil)
	caPEM, err := root.IssueCA(caCSR, province, now, 0) // parent_id is filled in by the issuer
	if err != nil {
		log.Fatal(err)
	}
	provCA, err := pki.LoadAuthority(caPEM, caKeyPEM, root.ChainPEM())
	if err != nil {
		log.Fatal(err)
	}

	// Enterprise.
	enterprise := pki.Identity{NodeID: "0195f3c2-8a4e-7d10-9c3b-2f6a1e0d4b03", Role: pki.RoleEnterprise, Name: "苏州某精密制造有限公司", SignKey: signKey()}
	key, keyPEM, _ := pki.NewKey()
	csr, _ := pki.NewCSR(key, enterprise, []string{"127.0.0.1"})
	leafPEM, err := provCA.IssueLeaf(csr, enterprise, []string{"127.0.0.1"}, now, 0)
	if err != nil {
		log.Fatal(err)
	}
	kp, err := pki.KeyPair(leafPEM, provCA.ChainPEM(), keyPEM) // ready for ClientConfig / ServerConfig
	if err != nil {
		log.Fatal(err)
	}

	roots := x509.NewCertPool()
	roots.AddCert(root.Cert)
	inter := x509.NewCertPool()
	inter.AddCert(provCA.Cert)
	chains, err := kp.Leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter})
	if err != nil {
		log.Fatal(err)
	}
	id, _ := pki.IdentityOf(kp.Leaf)
	fmt.Println(len(kp.Certificate), "certificates presented;", len(chains[0]), "in the verified chain")
	fmt.Println(id.Role, id.Name, id.ParentID == province.NodeID)
	fmt.Println(pki.CheckChain(chains[0]) == nil)
	// Output:
	// 3 certificates presented; 3 in the verified chain
	// enterprise 苏州某精密制造有限公司 true
	// true
}
